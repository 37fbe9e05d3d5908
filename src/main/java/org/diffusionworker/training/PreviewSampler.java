package org.diffusionworker.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import org.diffusionworker.diffusion.ClassifierFreeGuidance;
import org.diffusionworker.diffusion.Denoiser;
import org.diffusionworker.diffusion.ImageNoise;
import org.diffusionworker.diffusion.NoiseSchedule;
import org.diffusionworker.diffusion.Sampler;
import org.diffusionworker.diffusion.SamplerSettings;

/**
 * Samples a grid from a network while it trains: drives a {@code diffusion} sampler over a
 * {@link Denoiser}, with the same per-image seeded noise as the generation engine (which the
 * training package may not use). Only what a preview needs: no trajectories, no batching plans.
 */
final class PreviewSampler {

    private PreviewSampler() {}

    /**
     * Samples one image per context row of {@code contexts} ({@code [B, width]} flat), image i
     * seeded by {@code (seed, i)}. Returns the final samples, {@code [B, C, H, W]} flat, in the
     * model's pixel range. Every step runs in its own sub-manager of {@code parent}.
     */
    static float[] sample(Denoiser denoiser, NoiseSchedule schedule, SamplerSettings settings,
            ClassifierFreeGuidance guidance, float[] contexts, int width, int channels, int size, long seed,
            NDManager parent) {
        int batch = contexts.length / width;
        Sampler sampler = settings.create(schedule);
        List<ImageNoise.ImageSeed> seeds = new ArrayList<>();
        for (int i = 0; i < batch; i++) {
            seeds.add(new ImageNoise.ImageSeed(seed, i));
        }
        ImageNoise noise = new ImageNoise(seeds, channels, size, size);
        NDManager step = parent.newSubManager();
        try {
            NDArray x = noise.next(step);
            for (int t : sampler.timesteps()) {
                NDArray time = step.full(new Shape(batch), (float) t / schedule.timesteps());
                NDArray context = step.create(contexts, new Shape(batch, width));
                NDArray eps = guidance.predict(denoiser, x, time, context);
                NDArray next = sampler.step(eps, t, x, sampler.needsNoise(t) ? noise.next(step) : null);
                // Keep only the new sample; the rest of this step is freed now.
                NDManager nextStep = parent.newSubManager();
                next.attach(nextStep);
                step.close();
                step = nextStep;
                x = next;
            }
            return x.toFloatArray();
        } finally {
            step.close();
        }
    }
}
