package org.diffusionworker.generation;

import ai.djl.Device;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.diffusionworker.diffusion.ClassifierFreeGuidance;
import org.diffusionworker.diffusion.SamplerSettings;
import org.diffusionworker.model.ModelLoader;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The shipped model in fp32 (the Java blocks) against its bf16 TorchScript export, through the generation engine as
 * the worker runs it: DDIM-25 with guidance 1 (the doubled batch), interleaved rounds, medians with their range.
 * A benchmark, not a test: {@code ./mvnw test -Dtest=PrecisionBenchmark -DexcludedGroups=none}
 * (BENCH_BATCHES=1,16,64, BENCH_ROUNDS=5).
 */
@Tag("benchmark")
class PrecisionBenchmark {

    @Test
    void fp32AgainstBf16() {
        List<Integer> batches = Arrays.stream(System.getenv().getOrDefault("BENCH_BATCHES", "1,16,64").split(","))
                .map(Integer::parseInt).toList();
        int rounds = Integer.parseInt(System.getenv().getOrDefault("BENCH_ROUNDS", "5"));
        try (GenerationEngine fp32 = new GenerationEngine(ModelLoader.fromDirectory(Path.of("models/fashion-mnist"),
                Device.cpu()));
                GenerationEngine bf16 = new GenerationEngine(ModelLoader.fromDirectory(
                        Path.of("models/fashion-mnist-bf16"), Device.cpu()))) {
            fp32.warmUp();
            bf16.warmUp();
            System.out.println("| batch | fp32 images/s | bf16 images/s | bf16 / fp32 |");
            System.out.println("|---:|---:|---:|---:|");
            for (int batch : batches) {
                double[] a = new double[rounds];
                double[] b = new double[rounds];
                double[] ratio = new double[rounds];
                for (int r = 0; r < rounds; r++) {
                    a[r] = imagesPerSecond(fp32, batch);
                    b[r] = imagesPerSecond(bf16, batch);
                    ratio[r] = b[r] / a[r];
                }
                System.out.printf(Locale.ROOT, "| %d | %s | %s | %s |%n", batch, spread(a), spread(b), spread(ratio));
            }
        }
    }

    private static double imagesPerSecond(GenerationEngine engine, int batch) {
        float[] context = engine.contextVector(Conditioning.label("sneaker"));
        List<ImageSlot> slots = new ArrayList<>();
        for (int i = 0; i < batch; i++) {
            slots.add(new ImageSlot(context, 7, i));
        }
        long start = System.nanoTime();
        engine.generate(new BatchPlan(SamplerSettings.ddim(25, 0), new ClassifierFreeGuidance(1), 0, slots),
                SamplingProgress.NONE);
        return batch / ((System.nanoTime() - start) / 1e9);
    }

    private static String spread(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        return String.format(Locale.ROOT, "%.2f (%.2f-%.2f)", v[v.length / 2], v[0], v[v.length - 1]);
    }
}
