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
        int batch = contexts.length / width;
        int[] rows = new int[batch];
        for (int i = 0; i < batch; i++) {
            rows[i] = i;
        }
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
                boolean[] keep = k == 0 ? null : filter.rowsToKeep(k, timesteps.length);
                if (keep != null) {
                    if (keep.length != batch) {
                        throw new IllegalStateException("row filter gave " + keep.length + " flags for " + batch + " rows");
                    }
                    int kept = count(keep);
                    if (kept == 0) {
                        return new Result(new float[0], new int[0]);
                    }
                    if (kept < batch) {
                        x = keepRows(x, keep, kept, step);
                        history.keepRows(step.create(keptIndices(keep, kept)));
                        contexts = keepRows(contexts, width, keep);
                        rows = keepRows(rows, keep);
                        noise.keepOnly(keep);
                        batch = kept;
                    }
                }
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
            return new Result(x.toFloatArray(), rows);
        } finally {
            step.close();
        }
    }

    /** The rows of x that stay; libtorch's masked select wants a mask of x's own shape, and returns them flat. */
    private static NDArray keepRows(NDArray x, boolean[] keep, int kept, NDManager manager) {
        Shape shape = x.getShape();
        int perRow = Math.toIntExact(shape.size() / shape.get(0));
        boolean[] mask = new boolean[keep.length * perRow];
        for (int r = 0; r < keep.length; r++) {
            if (keep[r]) {
                java.util.Arrays.fill(mask, r * perRow, (r + 1) * perRow, true);
            }
        }
        long[] dims = shape.getShape().clone();
        dims[0] = kept;
        return x.booleanMask(manager.create(mask, shape)).reshape(new Shape(dims));
    }

    private static long[] keptIndices(boolean[] keep, int kept) {
        long[] indices = new long[kept];
        for (int r = 0, j = 0; r < keep.length; r++) {
            if (keep[r]) {
                indices[j++] = r;
            }
        }
        return indices;
    }

    private static int count(boolean[] flags) {
        int n = 0;
        for (boolean f : flags) {
            n += f ? 1 : 0;
        }
        return n;
    }

    private static float[] keepRows(float[] values, int width, boolean[] keep) {
        float[] kept = new float[count(keep) * width];
        int j = 0;
        for (int i = 0; i < keep.length; i++) {
            if (keep[i]) {
                System.arraycopy(values, i * width, kept, j++ * width, width);
            }
        }
        return kept;
    }

    private static int[] keepRows(int[] values, boolean[] keep) {
        int[] kept = new int[count(keep)];
        int j = 0;
        for (int i = 0; i < keep.length; i++) {
            if (keep[i]) {
                kept[j++] = values[i];
            }
        }
        return kept;
    }
}
