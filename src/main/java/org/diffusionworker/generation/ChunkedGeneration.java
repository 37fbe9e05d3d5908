package org.diffusionworker.generation;

import java.util.ArrayList;
import java.util.List;
import org.diffusionworker.diffusion.ClassifierFreeGuidance;
import org.diffusionworker.diffusion.SamplerSettings;

/**
 * More images than one batch holds, generated in batches of {@code batchSize} one after the other and put back
 * together in slot order. Each image keeps its index (its seed's second half), so the chunking changes nothing.
 * The {@code sample} and {@code evaluate} commands' loop.
 */
public record ChunkedGeneration(GenerationEngine engine, int batchSize) {

    public ChunkedGeneration {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be >= 1, got " + batchSize);
        }
    }

    /** Denoising steps that {@link #generate} takes for {@code images} images under {@code settings}. */
    public long steps(SamplerSettings settings, int images) {
        long batches = (images + batchSize - 1) / batchSize;
        return batches * settings.create(engine.schedule()).timesteps().length;
    }

    /** All {@code slots}' images (and their trajectories, every {@code every} steps; 0: none), in slot order. */
    public GeneratedImages generate(SamplerSettings settings, ClassifierFreeGuidance guidance, int every,
            List<ImageSlot> slots, SamplingProgress progress) {
        int count = slots.size();
        int channels = engine.spec().config().inChannels();
        int size = engine.spec().config().height();
        int perImage = channels * size * size;
        float[] pixels = new float[count * perImage];
        List<float[]> frames = new ArrayList<>();
        long nanos = 0;
        for (int first = 0; first < count; first += batchSize) {
            int n = Math.min(batchSize, count - first);
            GeneratedImages part = engine.generate(new BatchPlan(settings, guidance, every,
                    slots.subList(first, first + n)), progress);
            nanos += part.samplingNanos();
            System.arraycopy(part.pixels(), 0, pixels, first * perImage, n * perImage);
            for (int f = 0; f < part.trajectory().size(); f++) {
                if (frames.size() <= f) {
                    frames.add(new float[count * perImage]);
                }
                System.arraycopy(part.trajectory().get(f), 0, frames.get(f), first * perImage, n * perImage);
            }
        }
        return new GeneratedImages(count, channels, size, size, pixels, frames, nanos, null);
    }
}
