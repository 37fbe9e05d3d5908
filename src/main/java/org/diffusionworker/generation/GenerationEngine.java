package org.diffusionworker.generation;

import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import org.diffusionworker.diffusion.ClassifierFreeGuidance;
import org.diffusionworker.diffusion.Denoiser;
import org.diffusionworker.diffusion.ImageNoise;
import org.diffusionworker.diffusion.NoiseSchedule;
import org.diffusionworker.diffusion.Sampler;
import org.diffusionworker.diffusion.SamplingLoop;
import org.diffusionworker.diffusion.SamplerSettings;
import org.diffusionworker.model.LoadedModel;
import org.diffusionworker.model.ModelSpec;
import org.diffusionworker.model.DjlRuntime;

/**
 * Owns a loaded model on one device and turns batch plans into images.
 *
 * <p>Every batch runs inside its own NDManager sub-manager, and every step inside a sub-manager
 * of that ({@link SamplingLoop}): DJL frees native memory only when a manager closes.
 * Not thread-safe: one inference thread calls {@link #generate}.
 */
public final class GenerationEngine implements AutoCloseable {

    private final LoadedModel model;
    private final ModelSpec spec;
    private final NoiseSchedule schedule;
    private final Denoiser denoiser;

    public GenerationEngine(LoadedModel model) {
        this.model = model;
        this.spec = model.spec();
        ModelSpec.Schedule s = spec.schedule();
        this.schedule = new NoiseSchedule(s.timesteps(), s.beta1(), s.beta2());
        this.denoiser = model::predictNoise;
    }

    public ModelSpec spec() {
        return spec;
    }

    public LoadedModel model() {
        return model;
    }

    public NoiseSchedule schedule() {
        return schedule;
    }

    /** The context vector for {@code conditioning} over this model's labels. */
    public float[] contextVector(Conditioning conditioning) {
        return conditioning.vector(spec.labels());
    }

    /** Runs one tiny batch so that the first real request does not pay for lazy initialisation. */
    public void warmUp() {
        float[] none = contextVector(Conditioning.unconditional());
        generate(new BatchPlan(SamplerSettings.ddim(1, 0), new ClassifierFreeGuidance(0), 0,
                List.of(new ImageSlot(none, 0, 0))), SamplingProgress.NONE);
    }

    public GeneratedImages generate(BatchPlan plan, SamplingProgress progress) {
        DjlRuntime.disableGradientsOnThisThread();
        long start = System.nanoTime();
        Sampler sampler = plan.sampler().create(schedule);
        int batch = plan.size();
        int channels = spec.config().inChannels();
        int size = spec.config().height();
        int contextWidth = spec.config().nCfeat();
        float[] contexts = contexts(plan, contextWidth);
        ImageNoise noise = new ImageNoise(
                plan.images().stream().map(i -> new ImageNoise.ImageSeed(i.seed(), i.index())).toList(),
                channels, size, size);
        List<float[]> trajectory = new ArrayList<>();
        int every = plan.trajectoryEvery();
        int perImage = channels * size * size;
        // Rows of the running sample, by plan index: fewer than the plan's once images have left the batch.
        int[][] rows = {identity(batch)};
        SamplingLoop.StepListener keepFrame = (done, total, sample, nanos) -> {
            if (every > 0 && (done % every == 0 || done == total)) {
                trajectory.add(scatter(toPixelRange(sample.toFloatArray()), rows[0], batch, perImage));
            }
        };
        BitSet[] left = {new BitSet()};
        SamplingLoop.RowFilter filter = (done, total) -> {
            BitSet leaving = progress.leaving();
            if (leaving == null || !intersects(leaving, rows[0])) {
                return null;
            }
            boolean[] keep = new boolean[rows[0].length];
            int kept = 0;
            for (int r = 0; r < keep.length; r++) {
                keep[r] = !leaving.get(rows[0][r]);
                if (keep[r]) {
                    rows[0][kept++] = rows[0][r];
                } else {
                    left[0].set(rows[0][r]);
                }
            }
            rows[0] = java.util.Arrays.copyOf(rows[0], kept);
            return keep;
        };
        try (NDManager batchManager = model.manager().newSubManager()) {
            SamplingLoop.Result result = SamplingLoop.run(denoiser, schedule, sampler, plan.guidance(), noise, contexts,
                    contextWidth, batchManager, every > 0 ? keepFrame : null, (done, total, sample, nanos) -> {
                        keepFrame.afterStep(done, total, sample, nanos);
                        progress.onStep(done, total, nanos);
                    }, filter);
            float[] pixels = scatter(toPixelRange(result.samples()), result.rows(), batch, perImage);
            return new GeneratedImages(batch, channels, size, size, pixels, List.copyOf(trajectory),
                    System.nanoTime() - start, left[0]);
        }
    }

    private static int[] identity(int n) {
        int[] rows = new int[n];
        for (int i = 0; i < n; i++) {
            rows[i] = i;
        }
        return rows;
    }

    private static boolean intersects(BitSet set, int[] rows) {
        for (int row : rows) {
            if (set.get(row)) {
                return true;
            }
        }
        return false;
    }

    /** The rows of {@code values} put back at their plan positions; images that left stay zeros. */
    private static float[] scatter(float[] values, int[] rows, int batch, int perImage) {
        if (rows.length == batch) {
            return values;
        }
        float[] all = new float[batch * perImage];
        for (int r = 0; r < rows.length; r++) {
            System.arraycopy(values, r * perImage, all, rows[r] * perImage, perImage);
        }
        return all;
    }

    private static float[] contexts(BatchPlan plan, int width) {
        float[] all = new float[plan.size() * width];
        for (int i = 0; i < plan.size(); i++) {
            float[] c = plan.images().get(i).context();
            if (c.length != width) {
                throw new IllegalArgumentException(
                        "context vector of image " + i + " has " + c.length + " values, the model takes " + width);
            }
            System.arraycopy(c, 0, all, i * width, width);
        }
        return all;
    }

    /** Maps the model's pixel range onto [-1, 1], which imaging renders. */
    private float[] toPixelRange(float[] values) {
        double low = spec.pixelRange().get(0);
        double high = spec.pixelRange().get(1);
        if (low == -1 && high == 1) {
            return values;
        }
        float scale = (float) (2 / (high - low));
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) ((values[i] - low) * scale - 1);
        }
        return values;
    }

    @Override
    public void close() {
        model.close();
    }
}
