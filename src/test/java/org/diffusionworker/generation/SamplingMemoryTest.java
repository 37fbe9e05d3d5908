package org.diffusionworker.generation;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.diffusionworker.diffusion.ClassifierFreeGuidance;
import org.diffusionworker.diffusion.SamplerSettings;
import org.diffusionworker.model.ModelLoader;
import org.diffusionworker.model.ModelSpec;
import org.junit.jupiter.api.Test;

/** Native memory is returned after every batch: RSS stays flat over 500 sampling calls. */
class SamplingMemoryTest {

    private static final int CALLS = 500;
    private static final long ALLOWED_GROWTH_KB = 16 * 1024;

    @Test
    void residentMemoryStaysFlatOverFiveHundredSamplingCalls() throws IOException {
        ModelSpec spec = new ModelSpec("leak-probe", new ModelSpec.Architecture("ContextUnet", 1, 16, 2, 16),
                List.of("a", "b"), new ModelSpec.Schedule(100, 1e-4, 0.02), null, Map.of(), null, null);
        try (GenerationEngine engine = new GenerationEngine(ModelLoader.randomlyInitialised(spec, 3, Device.cpu()))) {
            // Each call: 2 DDIM steps on a batch of 4 with guidance (a doubled batch) and a trajectory.
            BatchPlan plan = new BatchPlan(SamplerSettings.ddim(2, 0.5), new ClassifierFreeGuidance(1), 1, List.of(
                    new ImageSlot(new float[] {1, 0}, 1, 0), new ImageSlot(new float[] {0, 1}, 1, 1),
                    new ImageSlot(new float[] {0.5f, 0.5f}, 2, 0), new ImageSlot(new float[] {0, 0}, 3, 0)));
            for (int i = 0; i < 50; i++) {
                engine.generate(plan, SamplingProgress.NONE);
            }
            long before = residentKb();
            for (int i = 0; i < CALLS; i++) {
                engine.generate(plan, SamplingProgress.NONE);
            }
            long after = residentKb();
            long growth = after - before;
            System.err.printf("RSS before %d KB, after %d calls %d KB, growth %d KB%n", before, CALLS, after, growth);
            assertTrue(growth < ALLOWED_GROWTH_KB,
                    "RSS grew by " + growth + " KB over " + CALLS + " sampling calls (allowed " + ALLOWED_GROWTH_KB + ")");
        }
    }

    private static long residentKb() throws IOException {
        System.gc();
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }
}
