package org.diffusionworker.training.evaluation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.diffusionworker.diffusion.ClassifierFreeGuidance;
import org.diffusionworker.diffusion.SamplerSettings;
import org.diffusionworker.imaging.ImageBatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Chunks of generated images on disk: read back instead of sampled when model, setting, seed, indices and labels all
 * match, sampled again (and replaced) when anything differs or a file is damaged. The images come from a source whose
 * pixels are a function of (seed, image index, label), as the engine's are, so any chunk mixed up shows.
 */
class StoredSamplesTest {

    @TempDir
    Path temp;

    private static final EvaluationSetting DDIM = new EvaluationSetting(SamplerSettings.ddim(4, 0),
            new ClassifierFreeGuidance(1), 5);
    private static final int[] LABELS = {0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2};

    /** A source of 2x2 images whose pixels say which image they are; it records the first index of every call. */
    private static final class IndexedSource implements SampleSources {
        final List<Integer> calls = new ArrayList<>();
        final AtomicInteger steps = new AtomicInteger();

        @Override
        public SampleSource open(Runnable afterEachStep) {
            return (setting, labels, seed, first) -> {
                calls.add(first);
                for (long s = stepsFor(setting, labels.length); s > 0; s--) {
                    afterEachStep.run();
                }
                float[] pixels = new float[labels.length * 4];
                for (int i = 0; i < labels.length; i++) {
                    for (int p = 0; p < 4; p++) {
                        pixels[i * 4 + p] = (float) (seed * 1e-3 + (first + i) * 1e-2 + labels[i] * 0.1 + p * 1e-4
                                + setting.guidance().weight());
                    }
                }
                return new ImageBatch(labels.length, 1, 2, 2, pixels);
            };
        }

        @Override
        public long stepsFor(EvaluationSetting setting, int images) {
            return (long) images * setting.sampler().steps();
        }
    }

    private static ImageBatch generate(SampleSources sources, EvaluationSetting setting, AtomicInteger steps) {
        return sources.open(steps::incrementAndGet).generate(setting, LABELS, 7);
    }

    @Test
    void aSecondRunReadsEveryChunkAndGetsTheImagesOneCallWould() {
        IndexedSource engine = new IndexedSource();
        ImageBatch direct = engine.open(() -> { }).generate(DDIM, LABELS, 7);
        engine.calls.clear();

        StoredSamples first = new StoredSamples(engine, temp, "sha-a", 4);
        AtomicInteger steps = new AtomicInteger();
        ImageBatch sampled = generate(first, DDIM, steps);
        assertArrayEquals(direct.pixels(), sampled.pixels(), "chunked as one call");
        assertEquals(List.of(0, 4, 8, 12), engine.calls, "chunks of 4 from their own first index");
        assertEquals(15, first.imagesSampled());
        assertEquals(60, steps.get());

        engine.calls.clear();
        StoredSamples second = new StoredSamples(engine, temp, "sha-a", 4);
        AtomicInteger resumedSteps = new AtomicInteger();
        ImageBatch read = generate(second, DDIM, resumedSteps);
        assertArrayEquals(direct.pixels(), read.pixels());
        assertEquals(List.of(), engine.calls, "nothing sampled again");
        assertEquals(15, second.imagesRead());
        assertEquals(60, resumedSteps.get(), "the progress bar still reaches its end");
    }

    @Test
    void anotherModelSettingOrSeedSamplesAgain() {
        IndexedSource engine = new IndexedSource();
        generate(new StoredSamples(engine, temp, "sha-a", 4), DDIM, new AtomicInteger());

        engine.calls.clear();
        new StoredSamples(engine, temp, "sha-b", 4).open(() -> { }).generate(DDIM, LABELS, 7);
        assertEquals(List.of(0, 4, 8, 12), engine.calls, "other weights");

        engine.calls.clear();
        EvaluationSetting guided = new EvaluationSetting(SamplerSettings.ddim(4, 0), new ClassifierFreeGuidance(2), 5);
        StoredSamples other = new StoredSamples(engine, temp, "sha-b", 4);
        ImageBatch images = other.open(() -> { }).generate(guided, LABELS, 7);
        assertEquals(List.of(0, 4, 8, 12), engine.calls, "another guidance weight");
        assertEquals(2.007, images.pixels()[0], 1e-6, "the guided images, not the stored ones");

        engine.calls.clear();
        new StoredSamples(engine, temp, "sha-b", 4).open(() -> { }).generate(DDIM, LABELS, 8);
        assertEquals(List.of(0, 4, 8, 12), engine.calls, "another seed");
    }

    @Test
    void aDamagedOrMissingChunkIsSampledAgainAndTheOthersRead() throws IOException {
        IndexedSource engine = new IndexedSource();
        ImageBatch whole = generate(new StoredSamples(engine, temp, "sha-a", 4), DDIM, new AtomicInteger());
        List<Path> files;
        try (var list = Files.list(temp)) {
            files = list.sorted().toList();
        }
        assertEquals(4, files.size(), files.toString());
        Path cut = temp.resolve("ddim4-w1-seed7-4.bin");
        Files.write(cut, java.util.Arrays.copyOf(Files.readAllBytes(cut), 40));
        Files.delete(temp.resolve("ddim4-w1-seed7-12.bin"));

        engine.calls.clear();
        StoredSamples resumed = new StoredSamples(engine, temp, "sha-a", 4);
        ImageBatch images = generate(resumed, DDIM, new AtomicInteger());

        assertEquals(List.of(4, 12), engine.calls);
        assertEquals(8, resumed.imagesRead());
        assertEquals(7, resumed.imagesSampled());
        assertArrayEquals(whole.pixels(), images.pixels());
        assertEquals(Files.size(temp.resolve("ddim4-w1-seed7-0.bin")), Files.size(cut), "the cut chunk is whole again");
    }
}
