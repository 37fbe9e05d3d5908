package org.diffusionworker.training;

import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import org.diffusionworker.diffusion.ClassifierFreeGuidance;
import org.diffusionworker.diffusion.Denoiser;
import org.diffusionworker.diffusion.ImageNoise;
import org.diffusionworker.diffusion.NoiseSchedule;
import org.diffusionworker.diffusion.SamplingLoop;
import org.diffusionworker.diffusion.SamplerSettings;

/**
 * Samples a grid from a network while it trains: runs {@code diffusion}'s
 * {@link SamplingLoop} over a {@link Denoiser}, with the same per-image seeded noise as the
 * generation engine (which the training package may not use). Only what a preview needs: no trajectories, no batching plans.
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
        List<ImageNoise.ImageSeed> seeds = new ArrayList<>();
        for (int i = 0; i < batch; i++) {
            seeds.add(new ImageNoise.ImageSeed(seed, i));
        }
        return SamplingLoop.run(denoiser, schedule, settings.create(schedule), guidance,
                new ImageNoise(seeds, channels, size, size), contexts, width, parent, null, SamplingLoop.StepListener.NONE);
    }
}
