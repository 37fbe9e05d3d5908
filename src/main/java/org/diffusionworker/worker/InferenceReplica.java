package org.diffusionworker.worker;

import io.opentelemetry.api.trace.Span;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import org.diffusionworker.diffusion.ClassifierFreeGuidance;
import org.diffusionworker.diffusion.SamplerSettings;
import org.diffusionworker.generation.BatchInProgress;
import org.diffusionworker.generation.BatchPlan;
import org.diffusionworker.generation.GeneratedImages;
import org.diffusionworker.generation.GenerationEngine;
import org.diffusionworker.generation.Conditioning;
import org.diffusionworker.generation.ImageSlot;
import org.diffusionworker.generation.SamplingProgress;

/**
 * One model replica and the one thread that owns it: warms the model up, then takes batches from the batcher and
 * samples them until the batcher closes. Between two steps of a batch, waiting images of its group may join it
 * (continuous batching, {@link DynamicBatcher#join}): one forward pass serves every batch in progress. Finished
 * images go to the {@link Sink} at once; encoding and uploading happen on other threads, so the model never waits
 * for the store.
 */
final class InferenceReplica implements Runnable {

    private static final System.Logger LOG = System.getLogger(InferenceReplica.class.getName());
    /**
     * Passes of the largest size run at warm-up, before the consumer connects. The first passes of a process fault
     * their tensors' pages in (and set up their kernels) until the heap has grown to the largest pass, which
     * model.MallocTuning then keeps: up to twice a pass's time on the development machine, where the third pass of 192
     * rows faulted 6,000-16,000 pages against 220,000 for the first (docs/performance.md, "Fixed thresholds at engine
     * start").
     */
    private static final int PRIMING_PASSES = 3;

    /** Where a replica hands what is not an image: expiries and failures. */
    interface Sink {
        /** {@code job}'s deadline passed before it started. */
        void expired(Job job);

        /** Sampling a batch failed after {@code stepsDone} steps; its slices are to be retried or their jobs failed. */
        void batchFailed(List<Batch.Slice> slices, int stepsDone, RuntimeException failure);

        /** A batch was sampled (the engine works). */
        void batchSucceeded();
    }

    private final int index;
    private final GenerationEngine engine;
    private final DynamicBatcher batcher;
    private final Sink sink;
    private final WorkerListener listener;
    private final StageSpans spans;
    private final AtomicBoolean abort;
    private final LongSupplier clock;
    private final CountDownLatch warm = new CountDownLatch(1);
    private volatile boolean warmedUp;
    private volatile Throwable died;
    private volatile int imagesInHand;
    private final int maxBatchImages;
    private final int largestPassRows;
    private volatile long fullBatchStepNanos;

    /**
     * @param largestPassRows rows of the largest forward pass the batcher can make (max-images and overtake-images,
     *                        twice that when guided), run at warm-up
     */
    InferenceReplica(int index, GenerationEngine engine, DynamicBatcher batcher, int maxBatchImages,
            int largestPassRows, Sink sink, WorkerListener listener, StageSpans spans, AtomicBoolean abort,
            LongSupplier clock) {
        this.spans = spans;
        this.index = index;
        this.maxBatchImages = maxBatchImages;
        this.largestPassRows = largestPassRows;
        this.engine = engine;
        this.batcher = batcher;
        this.sink = sink;
        this.listener = listener;
        this.abort = abort;
        this.clock = clock;
    }

    @Override
    public void run() {
        try {
            long start = clock.getAsLong();
            // The first of them also pays for the engine's lazy initialisation.
            for (int i = 0; i < PRIMING_PASSES; i++) {
                engine.generate(oneStepOf(largestPassRows), SamplingProgress.NONE);
            }
            fullBatchStepNanos = timeOneFullBatchStep();
            warmedUp = true;
            LOG.log(Level.INFO, String.format("Model replica %d (%s on %s) warmed up in %d ms (%d passes of %d rows);"
                    + " one step of a full batch (%d images) takes %d ms", index, engine.spec().name(),
                    engine.model().device(), (clock.getAsLong() - start) / 1_000_000, PRIMING_PASSES,
                    largestPassRows, maxBatchImages, fullBatchStepNanos / 1_000_000));
        } catch (RuntimeException | Error e) {
            died = e;
            LOG.log(Level.ERROR, String.format("Model replica %d failed to warm up", index), e);
            return;
        } finally {
            warm.countDown();
        }
        try {
            Batch batch;
            while ((batch = batcher.take()) != null) {
                process(batch);
                if (abort.get()) {
                    break;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException | Error e) {
            died = e;
            LOG.log(Level.ERROR, String.format("Model replica %d stopped on an unexpected error", index), e);
        }
    }

    /**
     * One denoising step at the largest batch, measured at warm-up: it tells how long the longest batch takes.
     */
    private long timeOneFullBatchStep() {
        BatchPlan plan = oneStepOf(maxBatchImages);
        // The first pass at a new batch shape pays for setting up its kernels; time the second.
        engine.generate(plan, SamplingProgress.NONE);
        long start = clock.getAsLong();
        engine.generate(plan, SamplingProgress.NONE);
        return clock.getAsLong() - start;
    }

    /** One unguided DDIM step of {@code rows} images: one forward pass of that many rows. */
    private BatchPlan oneStepOf(int rows) {
        float[] none = engine.contextVector(Conditioning.unconditional());
        List<ImageSlot> slots = new ArrayList<>(rows);
        for (int i = 0; i < rows; i++) {
            slots.add(new ImageSlot(none, 0, i));
        }
        return new BatchPlan(SamplerSettings.ddim(1, 0), new ClassifierFreeGuidance(0), 0, slots);
    }


    boolean awaitWarm(long timeoutNanos) throws InterruptedException {
        return warm.await(timeoutNanos, java.util.concurrent.TimeUnit.NANOSECONDS) && warmedUp;
    }

    boolean warmedUp() {
        return warmedUp;
    }

    /** The error that stopped this replica, or null. */
    Throwable died() {
        return died;
    }

    /** Images in the batch being sampled now (0 between batches). */
    int imagesInHand() {
        return imagesInHand;
    }

    /**
     * Samples {@code batch} and every batch that joins it while it runs ({@link DynamicBatcher#join}), one forward
     * pass per step over all of them, until none is left.
     */
    private void process(Batch batch) {
        batch.expired().forEach(sink::expired);
        List<Batch.Slice> slices = live(batch);
        if (slices.isEmpty()) {
            return;
        }
        BatchInProgress running;
        try {
            running = engine.open(batch.key().sampler(), batch.key().guidance());
        } catch (RuntimeException e) {
            sink.batchFailed(slices, 0, e);
            return;
        }
        List<Group> groups = new ArrayList<>();
        try (running) {
            if (!start(running, batch, slices, false, groups)) {
                return;
            }
            imagesInHand = running.rows();
            while (!running.isEmpty()) {
                List<BatchInProgress.Member> finished;
                long passStart = clock.getAsLong();
                try {
                    finished = running.step();
                } catch (BatchStepHook.Aborted e) {
                    LOG.log(Level.WARNING, String.format(
                            "Model replica %d abandoned %d image(s) at shutdown; their requests stay uncommitted"
                            + " and are redelivered", index, running.rows()));
                    groups.forEach(Group::abandon);
                    return;
                } catch (RuntimeException e) {
                    groups.forEach(g -> g.fail(e));
                    return;
                }
                long end = clock.getAsLong();
                listener.samplingStep(end - passStart);
                if (LOG.isLoggable(Level.DEBUG)) {
                    // One line per pass: where a pass's time goes when latency surprises (rows, batches sharing it).
                    LOG.log(Level.DEBUG, String.format("Model replica %d: pass of %d image(s) in %d batch(es), %.1f ms",
                            index, imagesInHand, groups.size(), (end - passStart) / 1e6));
                }
                for (BatchInProgress.Member member : finished) {
                    Group group = groups.stream().filter(g -> g.member == member).findFirst().orElseThrow();
                    groups.remove(group);
                    group.finish(end);
                }
                if (!running.isEmpty()) {
                    joinWaiting(running, batch.key(), groups);
                }
                imagesInHand = running.rows();
            }
        } finally {
            imagesInHand = 0;
        }
    }

    /** Lets the batcher's waiting images of the same group join the batch in progress, when the scheduler says so. */
    private void joinWaiting(BatchInProgress running, BatchKey key, List<Group> groups) {
        List<Batch.Slice> inProgress = new ArrayList<>();
        groups.forEach(g -> inProgress.addAll(g.slices));
        Batch joining = batcher.join(key, inProgress);
        if (joining == null) {
            return;
        }
        joining.expired().forEach(sink::expired);
        List<Batch.Slice> slices = live(joining);
        if (!slices.isEmpty()) {
            start(running, joining, slices, true, groups);
        }
    }

    /** Requests that ended while their slice waited (canceled, failed in another batch) are not sampled at all. */
    private static List<Batch.Slice> live(Batch batch) {
        return batch.slices().stream().filter(s -> !s.job().isEnded()).toList();
    }

    /**
     * Adds {@code slices} to the batch in progress as a batch of their own and to {@code groups}; when that fails
     * (before any step of theirs), they go to the sink as a failed batch and this returns false.
     */
    private boolean start(BatchInProgress running, Batch batch, List<Batch.Slice> slices, boolean joined,
            List<Group> groups) {
        List<ImageSlot> slots = new ArrayList<>();
        boolean trajectory = false;
        for (Batch.Slice slice : slices) {
            Job job = slice.job();
            trajectory |= job.parameters().trajectory();
            for (int i = slice.from(); i < slice.to(); i++) {
                slots.add(new ImageSlot(job.context(), job.seed(), i));
            }
        }
        int every = trajectory ? Trajectories.every(batch.key().sampler()) : 0;
        BatchPlan plan = new BatchPlan(batch.key().sampler(), batch.key().guidance(), every, slots);
        BatchStepHook hook = new BatchStepHook(slices, listener, abort, clock);
        BatchInProgress.Member member;
        try {
            member = running.join(plan, hook);
        } catch (RuntimeException e) {
            sink.batchFailed(slices, 0, e);
            return false;
        }
        long start = clock.getAsLong();
        int requests = (int) slices.stream().map(Batch.Slice::job).distinct().count();
        for (Batch.Slice slice : slices) {
            slice.job().batchStarted(start, plan.size(), requests);
        }
        listener.batchStarted(plan.size(), requests, batch.oldestWaitNanos(), joined);
        Span batchSpan = spans.batch(batch, slices, plan.size(), requests, index);
        List<Span> shares = new ArrayList<>(slices.size());
        for (Batch.Slice slice : slices) {
            shares.add(spans.sampling(slice, batchSpan, plan.size(), requests));
        }
        groups.add(new Group(slices, requests, hook, batchSpan, shares, member));
        return true;
    }

    /** One batch taken from the batcher, sampled within a batch in progress: its slices, spans and step hook. */
    private final class Group {
        final List<Batch.Slice> slices;
        final int requests;
        final BatchStepHook hook;
        final Span batchSpan;
        final List<Span> shares;
        final BatchInProgress.Member member;

        Group(List<Batch.Slice> slices, int requests, BatchStepHook hook, Span batchSpan, List<Span> shares,
                BatchInProgress.Member member) {
            this.slices = slices;
            this.requests = requests;
            this.hook = hook;
            this.batchSpan = batchSpan;
            this.shares = shares;
            this.member = member;
        }

        void finish(long end) {
            GeneratedImages images = member.images();
            int size = member.plan().size();
            sink.batchSucceeded();
            listener.batchFinished(size, images.samplingNanos());
            listener.stepHookCost(hook.hookNanos(), images.samplingNanos());
            java.util.BitSet left = images.left();
            int offset = 0;
            for (int i = 0; i < slices.size(); i++) {
                Batch.Slice slice = slices.get(i);
                if (!hook.left(i) && !left.get(offset)) {
                    Outcome.BatchShare share = new Outcome.BatchShare(size, requests, slice.size());
                    slice.job().accept(slice.from(), slice.to(), images, offset, share, end);
                } else {
                    shares.get(i).setAttribute(StageSpans.LEFT, true);
                }
                StageSpans.end(shares.get(i), null);
                offset += slice.size();
            }
            StageSpans.end(batchSpan, null);
        }

        void fail(RuntimeException e) {
            shares.forEach(share -> StageSpans.end(share, e));
            StageSpans.end(batchSpan, e);
            sink.batchFailed(slices, hook.stepsDone(), e);
        }

        void abandon() {
            shares.forEach(share -> StageSpans.end(share, new Job.Abandoned()));
            StageSpans.end(batchSpan, new Job.Abandoned());
        }
    }
}
