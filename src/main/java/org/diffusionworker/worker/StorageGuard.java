package org.diffusionworker.worker;

import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.diffusionworker.storage.ObjectStore;
import org.diffusionworker.storage.ObjectStoreException;

/**
 * Runs a job's storage steps (the look-up of an existing result, the upload) off the inference thread and rides out
 * store outages, the system's fault, not the request's: a failed call marks the store unavailable (the worker goes
 * unready) and is tried again every {@code retryInterval}. A step ends within {@code outageLimit} of its start
 * whatever the store does: a watchdog gives the job up at the limit even while a call still hangs (its late result
 * is then ignored). While the store is unavailable, a probe on its own thread re-checks the bucket, so readiness
 * comes back even when no request is waiting and however busy the I/O threads are.
 *
 * <p>A step's future fails with a {@link StageFailure} ({@link ErrorCode#STORAGE_UNAVAILABLE} at the limit,
 * {@link ErrorCode#INTERNAL} for anything else a call throws, a defect), or with {@link Job.Abandoned} when the worker
 * is stopping; it is never left pending.
 */
final class StorageGuard {

    private static final System.Logger LOG = System.getLogger(StorageGuard.class.getName());

    private final ObjectStore store;
    private final ExecutorService io;
    private final ScheduledExecutorService scheduler;
    private final ExecutorService prober;
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
        this.prober = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "worker-storage-probe");
            t.setDaemon(true);
            return t;
        });
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

    /** Stops the probe (the I/O threads and the scheduler belong to the caller). */
    void stop() {
        prober.shutdownNow();
    }

    boolean available() {
        return available;
    }

    /** Why the store is unavailable (null while it is available). */
    String problem() {
        return available ? null : problem;
    }

    /** Runs {@code call} for {@code job} on the I/O threads, retrying through outages; its result or failure. */
    <T> CompletableFuture<T> call(Job job, Supplier<T> call) {
        Step<T> step = new Step<>(job, call, clock.getAsLong());
        try {
            step.watchdog = scheduler.schedule(step::timedOut, outageLimit.toNanos(), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException stopping) {
            LOG.log(Level.DEBUG, () -> String.format(
                    "Storage step for %s not started: the worker is stopping", job.requestId()));
            step.result.completeExceptionally(new Job.Abandoned());
            return step.result;
        }
        step.submit();
        return step.result;
    }

    /** One storage step of one job, from its first attempt to its one ending. */
    private final class Step<T> {
        final Job job;
        final Supplier<T> call;
        final CompletableFuture<T> result = new CompletableFuture<>();
        final long startedNanos;
        final AtomicBoolean ended = new AtomicBoolean();
        volatile ScheduledFuture<?> watchdog;
        volatile String lastFailure = "no attempt has finished yet";

        Step(Job job, Supplier<T> call, long startedNanos) {
            this.job = job;
            this.call = call;
            this.startedNanos = startedNanos;
        }

        void submit() {
            try {
                io.execute(this::attempt);
            } catch (RejectedExecutionException e) {
                LOG.log(Level.DEBUG, () -> String.format(
                        "Storage call for %s dropped: the worker is stopping", job.requestId()));
                abandoned();
            }
        }

        void attempt() {
            if (ended.get()) {
                return;
            }
            if (job.isEnded()) {
                end(); // canceled or failed elsewhere meanwhile: no point retrying the store for it
                result.completeExceptionally(new Job.Ended());
                return;
            }
            T result;
            try {
                result = call.get();
            } catch (ObjectStoreException e) {
                lastFailure = e.getMessage();
                down(e);
                retryOrGiveUp();
                return;
            } catch (RuntimeException | Error e) {
                fail(e, "storing or finding the result failed in the worker");
                return;
            }
            up();
            if (end()) { // else the watchdog gave the job up while this call hung; its answer is out already
                this.result.complete(result);
            }
        }

        void retryOrGiveUp() {
            if (clock.getAsLong() - startedNanos >= outageLimit.toNanos()) {
                timedOut();
                return;
            }
            // The watchdog ends the step at the limit if this retry is not back by then.
            try {
                scheduler.schedule(this::submit, retryInterval.toNanos(), TimeUnit.NANOSECONDS);
            } catch (RejectedExecutionException stopping) {
                LOG.log(Level.DEBUG, () -> String.format(
                        "Not retrying storage for %s: the worker is stopping", job.requestId()));
                abandoned();
            }
        }

        void timedOut() {
            if (end()) {
                result.completeExceptionally(new StageFailure(ErrorCode.STORAGE_UNAVAILABLE, "the object store did not"
                        + " answer within " + seconds(outageLimit.toNanos()) + " (the outage limit): " + lastFailure));
            }
        }

        void fail(Throwable e, String what) {
            if (end()) {
                LOG.log(Level.ERROR, String.format("Storage step of %s failed unexpectedly", job.requestId()), e);
                result.completeExceptionally(new StageFailure(ErrorCode.INTERNAL,
                        what + " (" + e.getClass().getSimpleName() + ")"));
            }
        }

        void abandoned() {
            if (end()) {
                result.completeExceptionally(new Job.Abandoned());
            }
        }

        /** Ends the step once; true for the caller that ended it. */
        boolean end() {
            if (!ended.compareAndSet(false, true)) {
                return false;
            }
            ScheduledFuture<?> w = watchdog;
            if (w != null) {
                w.cancel(false);
            }
            return true;
        }
    }

    private synchronized void up() {
        if (!available) {
            if (probe != null) {
                LOG.log(Level.INFO, String.format("Object store %s is reachable again", store.bucket()));
                probe.cancel(false);
                probe = null;
            }
            available = true;
        }
    }

    private synchronized void down(ObjectStoreException e) {
        problem = e.getMessage();
        if (available || probe == null) {
            LOG.log(Level.WARNING, String.format(
                    "Object store unavailable (%s); requests wait up to %s for it, readiness is down", e.getMessage(),
                    outageLimit));
            available = false;
            if (probe == null) {
                try {
                    probe = scheduler.scheduleWithFixedDelay(this::scheduleProbe, retryInterval.toNanos(),
                            retryInterval.toNanos(), TimeUnit.NANOSECONDS);
                } catch (RejectedExecutionException stopped) {
                    // Shutting down; nothing to probe for.
                }
            }
        }
    }

    private void scheduleProbe() {
        try {
            prober.execute(this::probe);
        } catch (RejectedExecutionException stopped) {
            // Shutting down.
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
        } catch (RuntimeException e) {
            problem = e.toString();
            LOG.log(Level.WARNING, "Probing the object store failed unexpectedly", e);
        }
    }

    private static String seconds(long nanos) {
        return String.format(java.util.Locale.ROOT, "%.0f s", nanos / 1e9);
    }
}
