package org.diffusionworker.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Runs of one sampler that share their forward passes, each at its own step: continuous batching (Yu et al., Orca,
 * OSDI 2022) at the granularity of a denoising step. A run may join between two passes and leaves once its last step is
 * done, so images that arrive while others are being sampled need not wait for them to finish. One pass evaluates the
 * network over the rows of every run, each row at its run's timestep (the network takes a timestep per row); the
 * noise prediction is then split by run and each run takes its own sampler step with its own history.
 *
 * <p>A row is computed as it would be alone: the network treats rows independently, each run keeps its noise streams
 * and its multistep history, and the sampler is immutable. A lone run costs nothing extra (no concatenation).
 *
 * <p>Every pass runs in its own sub-manager of {@code parent}, closed once the runs' samples and histories have moved
 * to the next one (DJL frees native memory only when a manager closes). Not thread-safe: one thread drives it.
 */
public final class ContinuousBatch implements AutoCloseable {

    /** One run in the batch: a group of rows that started together and step together. */
    public static final class Run {
        private final ImageNoise noise;
        private final SamplerHistory history;
        private final SamplingLoop.StepListener listener;
        private final SamplingLoop.RowFilter filter;
        private final int total;
        private float[] contexts;
        private int[] rows;
        private NDArray x;
        private int done;
        private SamplingLoop.Result result;

        private Run(ImageNoise noise, SamplerHistory history, float[] contexts, int total,
                SamplingLoop.StepListener listener, SamplingLoop.RowFilter filter) {
            this.noise = noise;
            this.history = history;
            this.contexts = contexts;
            this.total = total;
            this.listener = listener;
            this.filter = filter;
        }

        /** Steps this run has done. */
        public int stepsDone() {
            return done;
        }

        /** The final samples and their rows, once the run has finished (else null). */
        public SamplingLoop.Result result() {
            return result;
        }

        int size() {
            return rows.length;
        }
    }

    private final Denoiser denoiser;
    private final NoiseSchedule schedule;
    private final Sampler sampler;
    private final ClassifierFreeGuidance guidance;
    private final int width;
    private final NDManager parent;
    private final int[] timesteps;
    private final List<Run> runs = new ArrayList<>();
    private NDManager pass;

    /**
     * @param width the context vector's length
     */
    public ContinuousBatch(Denoiser denoiser, NoiseSchedule schedule, Sampler sampler, ClassifierFreeGuidance guidance,
            int width, NDManager parent) {
        this.denoiser = denoiser;
        this.schedule = schedule;
        this.sampler = sampler;
        this.guidance = guidance;
        this.width = width;
        this.parent = parent;
        this.timesteps = sampler.timesteps();
        this.pass = parent.newSubManager();
    }

    /**
     * Adds a run of one image per row of {@code contexts} ({@code [B, width]}, flat), starting from the noise's first
     * draw; it takes its first step in the next pass.
     *
     * @param start    told the starting noise (e.g. for a trajectory), may be null
     * @param listener told after each of the run's steps, with its rows' new sample (valid only during the call)
     * @param filter   asked before each of the run's steps after the first which rows go on
     */
    public Run join(ImageNoise noise, float[] contexts, SamplingLoop.StepListener start,
            SamplingLoop.StepListener listener, SamplingLoop.RowFilter filter) {
        if (contexts.length == 0 || contexts.length % width != 0) {
            throw new IllegalArgumentException("contexts hold " + contexts.length + " values, not rows of " + width);
        }
        int batch = contexts.length / width;
        Run run = new Run(noise, sampler.newHistory(), contexts.clone(), timesteps.length, listener, filter);
        run.rows = new int[batch];
        for (int i = 0; i < batch; i++) {
            run.rows[i] = i;
        }
        run.x = noise.next(pass);
        if (run.x.getShape().get(0) != batch) {
            throw new IllegalArgumentException("noise for " + run.x.getShape().get(0) + " images, contexts for " + batch);
        }
        if (start != null) {
            start.afterStep(0, timesteps.length, run.x, 0);
        }
        runs.add(run);
        return run;
    }

    /** Rows in the batch: the next pass's size (before guidance doubles it). */
    public int rows() {
        return runs.stream().mapToInt(Run::size).sum();
    }

    public boolean isEmpty() {
        return runs.isEmpty();
    }

    /**
     * Drops the rows that leave (each run's filter), then takes one step of every run in one forward pass. Returns the
     * runs that finished: their last step was this one, or every row of theirs left.
     */
    public List<Run> step() {
        List<Run> finished = new ArrayList<>();
        for (Run run : List.copyOf(runs)) {
            if (run.done > 0 && !keepRows(run)) {
                run.result = new SamplingLoop.Result(new float[0], new int[0]);
                runs.remove(run);
                finished.add(run);
            }
        }
        if (runs.isEmpty()) {
            return finished;
        }
        long start = System.nanoTime();
        List<NDArray> next = stepAll();
        NDManager nextPass = parent.newSubManager();
        for (int i = 0; i < runs.size(); i++) {
            next.get(i).attach(nextPass);
            runs.get(i).history.attach(nextPass);
        }
        pass.close();
        pass = nextPass;
        long nanos = System.nanoTime() - start;
        for (int i = 0; i < runs.size(); i++) {
            Run run = runs.get(i);
            run.x = next.get(i);
            run.done++;
            run.listener.afterStep(run.done, run.total, run.x, nanos);
        }
        for (Run run : List.copyOf(runs)) {
            if (run.done == run.total) {
                run.result = new SamplingLoop.Result(run.x.toFloatArray(), run.rows);
                runs.remove(run);
                finished.add(run);
            }
        }
        return finished;
    }

    /** One forward pass over every run's rows, then each run's sampler step; the new samples, by run. */
    private List<NDArray> stepAll() {
        // t and c are made per pass so that every result lands in this pass's manager
        // (DJL attaches a result to its first operand's manager).
        NDArray x;
        NDArray time;
        NDArray context;
        if (runs.size() == 1) {
            Run run = runs.get(0);
            x = run.x;
            time = pass.full(new Shape(run.size()), timeOf(run));
            context = pass.create(run.contexts, new Shape(run.size(), width));
        } else {
            NDList xs = new NDList();
            float[] times = new float[rows()];
            float[] contexts = new float[times.length * width];
            int row = 0;
            for (Run run : runs) {
                xs.add(run.x);
                Arrays.fill(times, row, row + run.size(), timeOf(run));
                System.arraycopy(run.contexts, 0, contexts, row * width, run.contexts.length);
                row += run.size();
            }
            x = NDArrays.concat(xs);
            time = pass.create(times);
            context = pass.create(contexts, new Shape(times.length, width));
        }
        NDArray eps = guidance.predict(denoiser, x, time, context);
        NDList parts = runs.size() == 1 ? new NDList(eps) : eps.split(splitPoints(), 0);
        List<NDArray> next = new ArrayList<>(runs.size());
        for (int i = 0; i < runs.size(); i++) {
            Run run = runs.get(i);
            int t = timesteps[run.done];
            NDArray noise = sampler.needsNoise(t) ? run.noise.next(pass) : null;
            next.add(sampler.step(parts.get(i), t, run.x, noise, run.history).previous());
        }
        return next;
    }

    private float timeOf(Run run) {
        return (float) timesteps[run.done] / schedule.timesteps();
    }

    private long[] splitPoints() {
        long[] points = new long[runs.size() - 1];
        long row = 0;
        for (int i = 0; i < points.length; i++) {
            row += runs.get(i).size();
            points[i] = row;
        }
        return points;
    }

    /** Applies the run's filter; false when none of its rows is left. */
    private boolean keepRows(Run run) {
        boolean[] keep = run.filter.rowsToKeep(run.done, run.total);
        if (keep == null) {
            return true;
        }
        int batch = run.size();
        if (keep.length != batch) {
            throw new IllegalStateException("row filter gave " + keep.length + " flags for " + batch + " rows");
        }
        int kept = count(keep);
        if (kept == 0) {
            return false;
        }
        if (kept < batch) {
            run.x = keepRows(run.x, keep, kept, pass);
            run.history.keepRows(pass.create(keptIndices(keep, kept)));
            run.contexts = keepRows(run.contexts, width, keep);
            run.rows = keepRows(run.rows, keep);
            run.noise.keepOnly(keep);
        }
        return true;
    }

    @Override
    public void close() {
        pass.close();
        runs.clear();
    }

    /** The rows of x that stay; libtorch's masked select wants a mask of x's own shape, and returns them flat. */
    private static NDArray keepRows(NDArray x, boolean[] keep, int kept, NDManager manager) {
        Shape shape = x.getShape();
        int perRow = Math.toIntExact(shape.size() / shape.get(0));
        boolean[] mask = new boolean[keep.length * perRow];
        for (int r = 0; r < keep.length; r++) {
            if (keep[r]) {
                Arrays.fill(mask, r * perRow, (r + 1) * perRow, true);
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
