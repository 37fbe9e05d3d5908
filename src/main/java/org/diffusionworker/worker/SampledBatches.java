package org.diffusionworker.worker;

import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * What the sample stage does with what goes wrong in a batch: a request that expired in the queue is ended EXPIRED; a
 * failed batch is the system's fault, so each of its requests' slices is queued again after a growing backoff, up to
 * {@link WorkerSettings#samplingAttempts()} times, and only then is the request ended {@link ErrorCode#INTERNAL}. The
 * worker is unready from a failed batch to the next good one. (Sampled images go to their job directly:
 * {@link Job#accept}.)
 */
final class SampledBatches implements InferenceReplica.Sink {

    private static final System.Logger LOG = System.getLogger(SampledBatches.class.getName());

    private final WorkerSettings settings;
    private final DynamicBatcher batcher;
    private final ScheduledExecutorService scheduler;
    private final BooleanSupplier stopping;
    /** Set when a batch failed, cleared when one succeeds. */
    private volatile boolean failing;

    SampledBatches(WorkerSettings settings, DynamicBatcher batcher, ScheduledExecutorService scheduler,
            BooleanSupplier stopping) {
        this.settings = settings;
        this.batcher = batcher;
        this.scheduler = scheduler;
        this.stopping = stopping;
    }

    boolean failing() {
        return failing;
    }

    @Override
    public void expired(Job job) {
        if (job.end(Answers.expired(job.request()))) {
            batcher.discard(job); // a retried slice may have expired while another waits
        }
    }

    @Override
    public void batchFailed(List<Batch.Slice> slices, int stepsDone, RuntimeException failure) {
        failing = true;
        LOG.log(Level.ERROR, String.format(
                "Sampling a batch of %d request(s) failed; readiness is down until a batch succeeds",
                slices.size()), failure);
        for (Batch.Slice slice : slices) {
            Job job = slice.job();
            int failures = job.samplingFailed(slice.size(), stepsDone);
            if (failures < settings.samplingAttempts() && !stopping.getAsBoolean() && !job.isEnded()) {
                Duration backoff = settings.samplingRetryBackoff().multipliedBy(1L << Math.min(failures - 1, 20));
                LOG.log(Level.WARNING, String.format(
                        "Sampling %s failed (%d of %d attempts); its images %d..%d are queued again in %s",
                        job.requestId(), failures, settings.samplingAttempts(), slice.from(), slice.to() - 1,
                        String.format(Locale.ROOT, "%.1f s", backoff.toMillis() / 1000.0)));
                retryLater(job, slice.from(), slice.to(), backoff);
            } else if (job.end(new Outcome.Failed(job.request(), ErrorCode.INTERNAL, "sampling failed in the worker "
                    + failures + " time(s) (" + failure.getClass().getSimpleName() + "); try again later"))) {
                batcher.discard(job);
            }
        }
    }

    @Override
    public void batchSucceeded() {
        if (failing) {
            failing = false;
            LOG.log(Level.INFO, "Sampling works again; readiness is back");
        }
    }

    private void retryLater(Job job, int from, int to, Duration backoff) {
        Runnable retry = () -> {
            if (job.isEnded()) {
                return;
            }
            try {
                batcher.retry(job, from, to);
            } catch (IllegalStateException closed) {
                job.abandon(); // stopping: left unanswered, redelivered
            }
        };
        try {
            scheduler.schedule(retry, backoff.toNanos(), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException stopped) {
            job.abandon();
        }
    }
}
