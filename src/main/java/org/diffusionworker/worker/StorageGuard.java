package org.diffusionworker.worker;

import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.diffusionworker.storage.ObjectStore;
import org.diffusionworker.storage.ObjectStoreException;
import org.jboss.logging.Logger;

/**
 * Runs a job's storage calls off the inference thread and rides out store outages (the system's fault, not the
 * request's): a failed call marks the store unavailable (the worker goes unready) and is tried again every
 * {@code retryInterval} until it succeeds or the job has waited {@code outageLimit}, when the job gives up. While the
 * store is unavailable a probe re-checks the bucket, so readiness comes back even when no request is waiting.
 */
final class StorageGuard {

    private static final Logger LOG = Logger.getLogger(StorageGuard.class);

    /** What to do when a job has waited out the outage limit. */
    interface GiveUp {
        void giveUp(Job job, String reason);
    }

    private final ObjectStore store;
    private final ExecutorService io;
    private final ScheduledExecutorService scheduler;
    private final Duration outageLimit;
    private final Duration retryInterval;
    private final LongSupplier clock;

    private volatile boolean available;
    private volatile String problem = "not checked yet";
    private ScheduledFuture<?> probe;

    StorageGuard(ObjectStore store, ExecutorService io, ScheduledExecutorService scheduler, Duration outageLimit,
            Duration retryInterval, LongSupplier clock) {
        this.store = store;
        this.io = io;
        this.scheduler = scheduler;
        this.outageLimit = outageLimit;
        this.retryInterval = retryInterval;
        this.clock = clock;
    }

    /** Makes sure the bucket exists; when the store cannot be reached, starts unavailable and keeps probing. */
    void start() {
        try {
            store.ensureBucket();
            up();
        } catch (ObjectStoreException e) {
            down(e);
        }
    }

    boolean available() {
        return available;
    }

    /** Why the store is unavailable (null while it is available). */
    String problem() {
        return available ? null : problem;
    }

    /** Runs {@code call} for {@code job} on the I/O threads, retrying through outages; then {@code next}. */
    <T> void call(Job job, Supplier<T> call, Consumer<T> next, GiveUp giveUp) {
        execute(() -> attempt(job, call, next, giveUp), job, giveUp);
    }

    private <T> void attempt(Job job, Supplier<T> call, Consumer<T> next, GiveUp giveUp) {
        T result;
        try {
            result = call.get();
        } catch (ObjectStoreException e) {
            down(e);
            long now = clock.getAsLong();
            job.storageFailedAt(now);
            long waited = now - job.storageWaitSinceNanos();
            if (waited >= outageLimit.toNanos()) {
                giveUp.giveUp(job, "the object store stayed unavailable for " + seconds(waited) + " (limit "
                        + seconds(outageLimit.toNanos()) + "): " + e.getMessage());
                return;
            }
            try {
                scheduler.schedule(() -> execute(() -> attempt(job, call, next, giveUp), job, giveUp),
                        retryInterval.toNanos(), TimeUnit.NANOSECONDS);
            } catch (RejectedExecutionException stopped) {
                LOG.debugf("Not retrying storage for %s: the worker is stopping", job.requestId());
            }
            return;
        }
        up();
        job.storageRecovered();
        next.accept(result);
    }

    private void execute(Runnable task, Job job, GiveUp giveUp) {
        try {
            io.execute(task);
        } catch (RejectedExecutionException e) {
            LOG.debugf("Storage call for %s dropped: the worker is stopping", job == null ? "the probe" : job.requestId());
        }
    }

    private synchronized void up() {
        if (!available) {
            if (probe != null) {
                LOG.infof("Object store %s is reachable again", store.bucket());
                probe.cancel(false);
                probe = null;
            }
            available = true;
        }
    }

    private synchronized void down(ObjectStoreException e) {
        problem = e.getMessage();
        if (available || probe == null) {
            LOG.warnf("Object store unavailable (%s); requests wait up to %s for it, readiness is down", e.getMessage(),
                    outageLimit);
            available = false;
            if (probe == null) {
                try {
                    probe = scheduler.scheduleWithFixedDelay(() -> execute(this::probe, null, null),
                            retryInterval.toNanos(), retryInterval.toNanos(), TimeUnit.NANOSECONDS);
                } catch (RejectedExecutionException stopped) {
                    // Shutting down; nothing to probe for.
                }
            }
        }
    }

    private void probe() {
        if (available) {
            return;
        }
        try {
            store.ensureBucket();
            up();
        } catch (ObjectStoreException e) {
            problem = e.getMessage();
        }
    }

    private static String seconds(long nanos) {
        return String.format(java.util.Locale.ROOT, "%.0f s", nanos / 1e9);
    }
}
