package org.diffusionworker.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Drives a sampler over a denoiser from per-image noise to the final samples: the one reverse
 * diffusion loop, shared by the generation engine and the trainer's previews.
 *
 * <p>Every step runs in its own sub-manager of {@code parent}, closed as soon as the next sample
 * is taken out of it: DJL frees native memory only when a manager closes, so without this a run
 * keeps every intermediate tensor until it ends.
 *
 * <p>A multistep sampler's memory of earlier steps is this loop's, not the sampler's: one {@link SamplerHistory} per
 * run, whose arrays move to the next step's manager with the sample (and would lose the same rows as the sample
 * when images leave the batch, {@link SamplerHistory#keepRows}).
 */
public final class SamplingLoop {

    /** Told after each step, with the new sample (valid only during the call). */
    @FunctionalInterface
    public interface StepListener {
        StepListener NONE = (done, total, sample, stepNanos) -> {};

        void afterStep(int done, int total, NDArray sample, long stepNanos);
    }

    private SamplingLoop() {}

    /**
     * Samples one image per row of {@code contexts} ({@code [B, width]}, flat).
     *
     * @param start told the starting noise before the first step (e.g. for a trajectory), may be null
     * @return the final samples, {@code [B, C, H, W]} flat
     */
    public static float[] run(Denoiser denoiser, NoiseSchedule schedule, Sampler sampler, ClassifierFreeGuidance guidance,
            ImageNoise noise, float[] contexts, int width, NDManager parent, StepListener start, StepListener listener) {
        int batch = contexts.length / width;
        int[] timesteps = sampler.timesteps();
        SamplerHistory history = sampler.newHistory();
        NDManager step = parent.newSubManager();
        try {
            NDArray x = noise.next(step);
            if (start != null) {
                start.afterStep(0, timesteps.length, x, 0);
            }
            for (int k = 0; k < timesteps.length; k++) {
                long stepStart = System.nanoTime();
                int t = timesteps[k];
                // t and c are made per step so that every result lands in this step's manager
                // (DJL attaches a result to its first operand's manager).
                NDArray time = step.full(new Shape(batch), (float) t / schedule.timesteps());
                NDArray context = step.create(contexts, new Shape(batch, width));
                NDArray eps = guidance.predict(denoiser, x, time, context);
                NDArray next = sampler.step(eps, t, x, sampler.needsNoise(t) ? noise.next(step) : null, history).previous();
                NDManager nextStep = parent.newSubManager();
                next.attach(nextStep);
                history.attach(nextStep);
                step.close();
                step = nextStep;
                x = next;
                listener.afterStep(k + 1, timesteps.length, x, System.nanoTime() - stepStart);
            }
            return x.toFloatArray();
        } finally {
            step.close();
        }
    }
}
