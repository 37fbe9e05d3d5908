package org.diffusionworker.generation;

import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import org.diffusionworker.diffusion.ClassifierFreeGuidance;
import org.diffusionworker.diffusion.ContinuousBatch;
import org.diffusionworker.diffusion.ImageNoise;
import org.diffusionworker.diffusion.SamplerSettings;
import org.diffusionworker.diffusion.SamplingLoop;

/**
 * The images an engine is sampling now, as plans that joined at different steps and share every forward pass
 * ({@link ContinuousBatch}). Plans join between two passes; {@link #step()} takes one pass and hands back the plans
 * that finished. Every plan gets exactly the images it would get alone.
 *
 * <p>Made by {@link GenerationEngine#open}; its arrays live in a sub-manager of the model's, freed by {@link #close()}.
 * Not thread-safe: the engine's one inference thread drives it.
 */
public final class BatchInProgress implements AutoCloseable {

    /** One plan in the batch, and once it has finished, its images. */
    public static final class Member {
        private final BatchPlan plan;
        private final long joinedNanos;
        private final List<float[]> trajectory = new ArrayList<>();
        private final BitSet left = new BitSet();
        /** Rows of the running sample, by plan index: fewer than the plan's once images have left. */
        private int[] rows;
        private ContinuousBatch.Run run;
        private GeneratedImages images;

        private Member(BatchPlan plan, long joinedNanos) {
            this.plan = plan;
            this.joinedNanos = joinedNanos;
            this.rows = new int[plan.size()];
            for (int i = 0; i < rows.length; i++) {
                rows[i] = i;
            }
        }

        public BatchPlan plan() {
            return plan;
        }

        /** Its images, once it has finished; else null. */
        public GeneratedImages images() {
            return images;
        }
    }

    private final GenerationEngine engine;
    private final SamplerSettings sampler;
    private final ClassifierFreeGuidance guidance;
    private final NDManager manager;
    private final ContinuousBatch batch;
    private final List<Member> members = new ArrayList<>();

    BatchInProgress(GenerationEngine engine, SamplerSettings sampler, ClassifierFreeGuidance guidance,
            NDManager manager, ContinuousBatch batch) {
        this.engine = engine;
        this.sampler = sampler;
        this.guidance = guidance;
        this.manager = manager;
        this.batch = batch;
    }

    /**
     * Adds {@code plan}, which must have this batch's sampler settings and guidance; its first step is in the next
     * pass. {@code progress} is told of its steps and asked which of its images leave.
     */
    public Member join(BatchPlan plan, SamplingProgress progress) {
        if (!plan.sampler().equals(sampler) || !plan.guidance().equals(guidance)) {
            throw new IllegalArgumentException("a plan of " + plan.sampler() + " with " + plan.guidance()
                    + " cannot join a batch of " + sampler + " with " + guidance);
        }
        Member member = new Member(plan, System.nanoTime());
        ModelShape shape = engine.shape();
        int batchSize = plan.size();
        int every = plan.trajectoryEvery();
        SamplingLoop.StepListener keepFrame = (done, total, sample, nanos) -> {
            if (every > 0 && (done % every == 0 || done == total)) {
                member.trajectory.add(scatter(engine.toPixelRange(sample.toFloatArray()), member.rows, batchSize,
                        shape.perImage()));
            }
        };
        SamplingLoop.RowFilter filter = (done, total) -> {
            BitSet leaving = progress.leaving();
            if (leaving == null || !intersects(leaving, member.rows)) {
                return null;
            }
            boolean[] keep = new boolean[member.rows.length];
            int kept = 0;
            for (int r = 0; r < keep.length; r++) {
                keep[r] = !leaving.get(member.rows[r]);
                if (keep[r]) {
                    member.rows[kept++] = member.rows[r];
                } else {
                    member.left.set(member.rows[r]);
                }
            }
            member.rows = Arrays.copyOf(member.rows, kept);
            return keep;
        };
        ImageNoise noise = new ImageNoise(
                plan.images().stream().map(i -> new ImageNoise.ImageSeed(i.seed(), i.index())).toList(),
                shape.channels(), shape.size(), shape.size());
        member.run = batch.join(noise, engine.contexts(plan), every > 0 ? keepFrame : null,
                (done, total, sample, nanos) -> {
                    keepFrame.afterStep(done, total, sample, nanos);
                    progress.onStep(done, total, nanos);
                }, filter);
        members.add(member);
        return member;
    }

    /** One forward pass for every plan in the batch; returns the plans that finished in it (their images set). */
    public List<Member> step() {
        List<ContinuousBatch.Run> done = batch.step();
        if (done.isEmpty()) {
            return List.of();
        }
        List<Member> finished = new ArrayList<>(done.size());
        for (Member member : List.copyOf(members)) {
            if (done.contains(member.run)) {
                SamplingLoop.Result result = member.run.result();
                ModelShape shape = engine.shape();
                float[] pixels = scatter(engine.toPixelRange(result.samples()), result.rows(), member.plan.size(),
                        shape.perImage());
                member.images = new GeneratedImages(member.plan.size(), shape.channels(), shape.size(), shape.size(),
                        pixels, List.copyOf(member.trajectory), System.nanoTime() - member.joinedNanos, member.left);
                members.remove(member);
                finished.add(member);
            }
        }
        return finished;
    }

    /** Images in the next pass (before guidance doubles them). */
    public int rows() {
        return batch.rows();
    }

    public boolean isEmpty() {
        return batch.isEmpty();
    }

    @Override
    public void close() {
        try {
            batch.close();
        } finally {
            manager.close();
        }
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

    /** The images' shape: channels, and the side of a square image. */
    record ModelShape(int channels, int size) {
        int perImage() {
            return channels * size * size;
        }
    }
}
