package org.diffusionworker.generation;

import ai.djl.ndarray.NDManager;
import java.util.List;
import org.diffusionworker.diffusion.ClassifierFreeGuidance;
import org.diffusionworker.diffusion.ContinuousBatch;
import org.diffusionworker.diffusion.Denoiser;
import org.diffusionworker.diffusion.NoiseSchedule;
import org.diffusionworker.diffusion.SamplerSettings;
import org.diffusionworker.model.LoadedModel;
import org.diffusionworker.model.ModelSpec;
import org.diffusionworker.model.DjlRuntime;

/**
 * Owns a loaded model on one device and turns batch plans into images.
 *
 * <p>Every batch runs inside its own NDManager sub-manager, and every step inside a sub-manager
 * of that ({@link ContinuousBatch}): DJL frees native memory only when a manager closes.
 * Not thread-safe: one inference thread calls {@link #generate} and drives the batches it {@link #open}s.
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

    /**
     * Samples {@code plan} alone: a {@link BatchInProgress} that nothing else joins. {@code progress} is told of every
     * step and asked which images leave.
     */
    public GeneratedImages generate(BatchPlan plan, SamplingProgress progress) {
        try (BatchInProgress batch = open(plan.sampler(), plan.guidance())) {
            BatchInProgress.Member member = batch.join(plan, progress);
            while (!batch.isEmpty()) {
                batch.step();
            }
            return member.images();
        }
    }

    /**
     * An empty batch of {@code sampler} with {@code guidance}, for plans to join and leave while it runs (on the
     * calling thread, which must be the engine's one inference thread).
     */
    public BatchInProgress open(SamplerSettings sampler, ClassifierFreeGuidance guidance) {
        DjlRuntime.disableGradientsOnThisThread();
        NDManager manager = model.manager().newSubManager();
        try {
            return new BatchInProgress(this, sampler, guidance, manager, new ContinuousBatch(denoiser, schedule,
                    sampler.create(schedule), guidance, spec.config().nCfeat(), manager));
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    BatchInProgress.ModelShape shape() {
        return new BatchInProgress.ModelShape(spec.config().inChannels(), spec.config().height());
    }

    float[] contexts(BatchPlan plan) {
        return contexts(plan, spec.config().nCfeat());
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
    float[] toPixelRange(float[] values) {
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
