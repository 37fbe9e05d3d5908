package org.diffusionworker.worker;

import io.opentelemetry.api.trace.Span;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import org.diffusionworker.generation.BatchPlan;
import org.diffusionworker.generation.GeneratedImages;
import org.diffusionworker.generation.GenerationEngine;
import org.diffusionworker.generation.ImageSlot;
import org.jboss.logging.Logger;

/**
 * One model replica and the one thread that owns it: warms the model up, then takes batches from the batcher and
 * samples them until the batcher closes. Finished images go to the {@link Sink} at once; encoding and uploading
 * happen on other threads, so the model never waits for the store.
 */
final class InferenceReplica implements Runnable {

    private static final Logger LOG = Logger.getLogger(InferenceReplica.class);

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
    private volatile long fullBatchStepNanos;

    InferenceReplica(int index, GenerationEngine engine, DynamicBatcher batcher, int maxBatchImages, Sink sink,
            WorkerListener listener, StageSpans spans, AtomicBoolean abort, LongSupplier clock) {
        this.spans = spans;
        this.index = index;
        this.maxBatchImages = maxBatchImages;
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
            engine.warmUp();
            fullBatchStepNanos = timeOneFullBatchStep();
            warmedUp = true;
            LOG.infof("Model replica %d (%s on %s) warmed up in %d ms; one step of a full batch (%d images) takes %d ms",
                    index, engine.spec().name(), engine.model().device(), (clock.getAsLong() - start) / 1_000_000,
                    maxBatchImages, fullBatchStepNanos / 1_000_000);
        } catch (RuntimeException | Error e) {
            died = e;
            LOG.errorf(e, "Model replica %d failed to warm up", index);
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
            LOG.errorf(e, "Model replica %d stopped on an unexpected error", index);
        }
    }

    /**
     * One denoising step at the largest batch, measured at warm-up: it also makes the first full batch of real
     * requests as fast as the rest, and tells how long the longest batch takes.
     */
    private long timeOneFullBatchStep() {
        float[] none = engine.contextVector(org.diffusionworker.generation.Conditioning.unconditional());
        List<ImageSlot> slots = new ArrayList<>(maxBatchImages);
        for (int i = 0; i < maxBatchImages; i++) {
            slots.add(new ImageSlot(none, 0, i));
        }
        BatchPlan plan = new BatchPlan(org.diffusionworker.diffusion.SamplerSettings.ddim(1, 0),
                new org.diffusionworker.diffusion.ClassifierFreeGuidance(0), 0, slots);
        // The first pass at a new batch shape pays for PyTorch's allocations; time the second.
        engine.generate(plan, org.diffusionworker.generation.SamplingProgress.NONE);
        long start = clock.getAsLong();
        engine.generate(plan, org.diffusionworker.generation.SamplingProgress.NONE);
        return clock.getAsLong() - start;
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

    private void process(Batch batch) {
        batch.expired().forEach(sink::expired);
        // Requests that ended while their slice waited (canceled, failed in another batch) are not sampled at all.
        List<Batch.Slice> slices = batch.slices().stream().filter(s -> !s.job().isEnded()).toList();
        if (slices.isEmpty()) {
            return;
        }
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
        long start = clock.getAsLong();
        int requests = (int) slices.stream().map(Batch.Slice::job).distinct().count();
        for (Batch.Slice slice : slices) {
            slice.job().batchStarted(start, plan.size(), requests);
        }
        listener.batchStarted(plan.size(), requests, batch.oldestWaitNanos());
        Span batchSpan = spans.batch(batch, slices, plan.size(), requests, index);
        List<Span> shares = new ArrayList<>(slices.size());
        for (Batch.Slice slice : slices) {
            shares.add(spans.sampling(slice, batchSpan, plan.size(), requests));
        }
        imagesInHand = plan.size();
        BatchStepHook hook = new BatchStepHook(slices, listener, abort, clock);
        GeneratedImages images;
        try {
            images = engine.generate(plan, hook);
        } catch (BatchStepHook.Aborted e) {
            LOG.warnf("Model replica %d abandoned a batch of %d image(s) at shutdown; its requests stay uncommitted"
                    + " and are redelivered", index, plan.size());
            shares.forEach(share -> StageSpans.end(share, new Job.Abandoned()));
            StageSpans.end(batchSpan, new Job.Abandoned());
            return;
        } catch (RuntimeException e) {
            shares.forEach(share -> StageSpans.end(share, e));
            StageSpans.end(batchSpan, e);
            sink.batchFailed(slices, hook.stepsDone(), e);
            return;
        } finally {
            imagesInHand = 0;
        }
        long end = clock.getAsLong();
        sink.batchSucceeded();
        listener.batchFinished(plan.size(), images.samplingNanos());
        listener.stepHookCost(hook.hookNanos(), images.samplingNanos());
        java.util.BitSet left = images.left();
        int offset = 0;
        for (int i = 0; i < slices.size(); i++) {
            Batch.Slice slice = slices.get(i);
            if (!hook.left(i) && !left.get(offset)) {
                Outcome.BatchShare share = new Outcome.BatchShare(plan.size(), requests, slice.size());
                slice.job().accept(slice.from(), slice.to(), images, offset, share, end);
            } else {
                shares.get(i).setAttribute(StageSpans.LEFT, true);
            }
            StageSpans.end(shares.get(i), null);
            offset += slice.size();
        }
        StageSpans.end(batchSpan, null);
    }
}
