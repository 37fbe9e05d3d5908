package org.diffusionworker.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * Drives a sampler over a denoiser from per-image noise to the final samples, for one group of images that start
 * together: a {@link ContinuousBatch} that nothing joins. Used by the commands and the trainer's previews; the worker
 * lets later images join ({@link ContinuousBatch}).
 *
 * <p>A multistep sampler's memory of earlier steps is the loop's, not the sampler's: one {@link SamplerHistory} per
 * run, whose arrays move to the next step's manager with the sample (and lose the same rows as the sample when images
 * leave the batch, {@link SamplerHistory#keepRows}).
 */
public final class SamplingLoop {

    /** Told after each step, with the new sample (valid only during the call). */
    @FunctionalInterface
    public interface StepListener {
        StepListener NONE = (done, total, sample, stepNanos) -> {};

        void afterStep(int done, int total, NDArray sample, long stepNanos);
    }

    /**
     * Asked before every step after the first: which of the current rows go on. Returns null when all do (the common
     * case, which must cost next to nothing), else one flag per current row, false for a row that leaves the batch
     * (its request was canceled). Rows that leave are dropped from the sample, the contexts and the noise streams, so
     * the next forward pass is smaller and the rows that stay are computed exactly as without the others.
     */
    @FunctionalInterface
    public interface RowFilter {
        RowFilter KEEP_ALL = (done, total) -> null;

        boolean[] rowsToKeep(int done, int total);
    }

    /** The final samples of the rows still in the batch, and which rows of the first step they are. */
    public record Result(float[] samples, int[] rows) {}

    private SamplingLoop() {}

    /**
     * Samples one image per row of {@code contexts} ({@code [B, width]}, flat).
     *
     * @param start told the starting noise before the first step (e.g. for a trajectory), may be null
     * @return the final samples, {@code [B, C, H, W]} flat
     */
    public static float[] run(Denoiser denoiser, NoiseSchedule schedule, Sampler sampler, ClassifierFreeGuidance guidance,
            ImageNoise noise, float[] contexts, int width, NDManager parent, StepListener start, StepListener listener) {
        return run(denoiser, schedule, sampler, guidance, noise, contexts, width, parent, start, listener,
                RowFilter.KEEP_ALL).samples();
    }

    /**
     * As {@link #run(Denoiser, NoiseSchedule, Sampler, ClassifierFreeGuidance, ImageNoise, float[], int, NDManager,
     * StepListener, StepListener)}, with rows leaving the batch between two steps as {@code filter} says. The
     * listener then sees only the rows still in the batch. When every row has left, the loop stops at once.
     */
    public static Result run(Denoiser denoiser, NoiseSchedule schedule, Sampler sampler, ClassifierFreeGuidance guidance,
            ImageNoise noise, float[] contexts, int width, NDManager parent, StepListener start, StepListener listener,
            RowFilter filter) {
        try (ContinuousBatch batch = new ContinuousBatch(denoiser, schedule, sampler, guidance, width, parent)) {
            ContinuousBatch.Run run = batch.join(noise, contexts, start, listener, filter);
            while (!batch.isEmpty()) {
                batch.step();
            }
            return run.result();
        }
    }
}
