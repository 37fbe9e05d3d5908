package org.diffusionworker.worker;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * What happens to the replicas' work: a request whose last image is sampled goes to an I/O thread to be stored; a
 * request that expired in the queue is answered; a failed batch is the system's fault, so each of its requests is
 * queued again after a growing backoff, up to {@link WorkerSettings#samplingAttempts()} times, and only then answered
 * with {@link ErrorCode#INTERNAL}. The worker is unready from a failed batch to the next good one.
 */
final class SampledBatches implements InferenceReplica.Sink {

    private static final Logger LOG = Logger.getLogger(GenerationWorker.class);

    private final WorkerSettings settings;
    private final DynamicBatcher batcher;
    private final InFlightRequests inFlight;
    private final Executor io;
    private final ScheduledExecutorService scheduler;
    private final Consumer<Job> store;
    private final BooleanSupplier stopping;
    /** Set when a batch failed, cleared when one succeeds. */
    private volatile boolean failing;

    SampledBatches(WorkerSettings settings, DynamicBatcher batcher, InFlightRequests inFlight, Executor io,
            ScheduledExecutorService scheduler, Consumer<Job> store, BooleanSupplier stopping) {
        this.settings = settings;
        this.batcher = batcher;
        this.inFlight = inFlight;
        this.io = io;
        this.scheduler = scheduler;
        this.store = store;
        this.stopping = stopping;
    }

    boolean failing() {
        return failing;
    }

    @Override
    public void sampled(Job job) {
        try {
            io.execute(() -> store.accept(job));
        } catch (RejectedExecutionException stopped) {
            inFlight.abandon(job);
        }
    }

    @Override
    public void expired(Job job) {
        if (job.markFailed()) {
            batcher.discard(job); // a retried slice may have expired while another waits
        }
        inFlight.finish(job, Answers.expired(job.request()));
    }

    @Override
    public void batchFailed(List<Batch.Slice> slices, RuntimeException failure) {
        failing = true;
        LOG.errorf(failure, "Sampling a batch of %d request(s) failed; readiness is down until a batch succeeds",
                slices.size());
        for (Batch.Slice slice : slices) {
            Job job = slice.job();
            int failures = job.samplingFailed();
            if (failures < settings.samplingAttempts() && !stopping.getAsBoolean() && !job.isFailed()) {
                Duration backoff = settings.samplingRetryBackoff().multipliedBy(1L << Math.min(failures - 1, 20));
                LOG.warnf("Sampling %s failed (%d of %d attempts); its images %d..%d are queued again in %s",
                        job.requestId(), failures, settings.samplingAttempts(), slice.from(), slice.to() - 1,
                        String.format(Locale.ROOT, "%.1f s", backoff.toMillis() / 1000.0));
                retryLater(job, slice.from(), slice.to(), backoff);
            } else if (job.markFailed()) {
                batcher.discard(job);
                inFlight.finish(job, new Outcome.Failed(job.request(), ErrorCode.INTERNAL, "sampling failed in the"
                        + " worker " + failures + " time(s) (" + failure.getClass().getSimpleName() + "); try again"
                        + " later"));
            }
        }
    }

    @Override
    public void batchSucceeded() {
        if (failing) {
            failing = false;
            LOG.info("Sampling works again; readiness is back");
        }
    }

    private void retryLater(Job job, int from, int to, Duration backoff) {
        Runnable retry = () -> {
            if (job.isFailed()) {
                return;
            }
            try {
                batcher.retry(job, from, to);
            } catch (IllegalStateException closed) {
                inFlight.abandon(job); // stopping: left unanswered, redelivered
            }
        };
        try {
            scheduler.schedule(retry, backoff.toNanos(), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException stopped) {
            inFlight.abandon(job);
        }
    }
}
