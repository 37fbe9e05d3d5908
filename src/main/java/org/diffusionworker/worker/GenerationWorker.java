package org.diffusionworker.worker;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.diffusionworker.generation.GenerationEngine;
import org.diffusionworker.model.ModelSpec;
import org.diffusionworker.storage.ObjectKeys;
import org.diffusionworker.storage.ObjectStore;
import org.diffusionworker.storage.StoredObject;
import org.jboss.logging.Logger;

/**
 * The worker: takes generation requests, batches compatible ones onto the model, stores the grids and answers every
 * request exactly once through its callback with an {@link Outcome}, or not at all when the worker stops before
 * finishing it (the caller then leaves it unacknowledged, to be delivered again).
 *
 * <p>The flow of one request: {@link #submit} checks it against this worker's limits and model (a fault is answered
 * at once) and against requests in flight with the same id; an I/O thread looks for an existing result under its
 * key (same parameters: answered from it; different: {@link ErrorCode#CONFLICT}); otherwise it joins the
 * {@link DynamicBatcher}. One {@link InferenceReplica} thread per model replica samples batches; when a request's
 * last image is sampled, an I/O thread encodes the grid and uploads it ({@link ResultStore}, {@link StorageGuard}).
 *
 * <p>Back-pressure: {@link #submit} returns, with the admission, a stage that completes once fewer than
 * {@link WorkerSettings#maxPendingImages()} images are pending here; a caller that waits for it before fetching more
 * never makes the worker hold more than that plus one request.
 */
public final class GenerationWorker implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(GenerationWorker.class);

    /** The answer of {@link #submit}: whether the request was taken, and when the caller may send the next. */
    public record Admission(boolean accepted, CompletionStage<Void> room) {
        static final Admission REFUSED = new Admission(false, CompletableFuture.completedFuture(null));
    }

    /** What readiness and liveness are made of. */
    public record Status(boolean modelReady, boolean storageAvailable, String storageProblem, boolean stopping,
            boolean replicasAlive, boolean samplingFailing, int replicas, int queuedImages, int pendingImages,
            int imagesInHand) {
        public boolean ready() {
            return modelReady && storageAvailable && !stopping && replicasAlive && !samplingFailing;
        }
    }

    private final WorkerSettings settings;
    private final List<GenerationEngine> engines;
    private final ModelSpec spec;
    private final ResultStore results;
    private final WorkerListener listener;
    private final LongSupplier clock;
    private final RequestResolver resolver;
    private final PendingImages pending;
    private final DynamicBatcher batcher;
    private final ExecutorService io;
    private final ScheduledExecutorService scheduler;
    private final StorageGuard storage;
    /** Filled once by {@link #start}, then read from any thread. */
    private volatile List<InferenceReplica> replicas = List.of();
    private volatile List<Thread> threads = List.of();
    private final AtomicBoolean abort = new AtomicBoolean();

    /** Jobs by request id, from admission to answer; guarded by itself. */
    private final Map<String, Job> inFlight = new HashMap<>();
    /** Jobs removed from {@link #inFlight} whose callbacks are still running; guarded by {@link #inFlight}. */
    private int answering;
    private volatile boolean stopping;
    private volatile boolean started;
    /** Set when a batch failed, cleared when one succeeds: the worker is unready meanwhile. */
    private volatile boolean samplingFailing;

    /**
     * @param engines one per replica, each on its own device; the worker owns and closes them
     * @param store   where grids go; the caller owns it
     */
    public GenerationWorker(WorkerSettings settings, List<GenerationEngine> engines, ObjectStore store, ObjectKeys keys,
            WorkerListener listener) {
        this(settings, engines, store, keys, listener, System::nanoTime);
    }

    GenerationWorker(WorkerSettings settings, List<GenerationEngine> engines, ObjectStore store, ObjectKeys keys,
            WorkerListener listener, LongSupplier clock) {
        this.settings = Objects.requireNonNull(settings, "settings");
        if (engines.isEmpty()) {
            throw new IllegalArgumentException("a worker needs at least one model replica");
        }
        this.engines = List.copyOf(engines);
        this.spec = engines.get(0).spec();
        this.listener = Objects.requireNonNull(listener, "listener");
        this.clock = clock;
        this.results = new ResultStore(store, keys,
                new Outcome.ModelInfo(spec.name(), engines.get(0).model().weightsSha256()));
        this.resolver = new RequestResolver(settings, spec);
        this.pending = new PendingImages(settings.maxPendingImages());
        this.batcher = new DynamicBatcher(settings.maxBatchImages(), settings.maxQueueDelay(), settings.policy(), clock);
        this.io = Executors.newFixedThreadPool(settings.uploadThreads(), daemon("worker-io"));
        this.scheduler = Executors.newSingleThreadScheduledExecutor(daemon("worker-storage-retry"));
        this.storage = new StorageGuard(store, io, scheduler, settings.storageOutageLimit(),
                settings.storageRetryInterval(), clock);
    }

    /** Checks the bucket and starts the replicas, each warming its model up on its own thread. */
    public synchronized void start() {
        if (started) {
            throw new IllegalStateException("the worker was already started");
        }
        started = true;
        storage.start();
        InferenceReplica.Sink sink = new ReplicaSink();
        List<InferenceReplica> made = new ArrayList<>();
        List<Thread> madeThreads = new ArrayList<>();
        for (int i = 0; i < engines.size(); i++) {
            InferenceReplica replica = new InferenceReplica(i, engines.get(i), batcher, settings.maxBatchImages(), sink,
                    listener, abort, clock);
            Thread thread = new Thread(replica, "inference-" + i);
            thread.setDaemon(true);
            made.add(replica);
            madeThreads.add(thread);
        }
        replicas = List.copyOf(made);
        threads = List.copyOf(madeThreads);
        threads.forEach(Thread::start);
    }

    /** Waits until every replica has warmed up; false when one failed or the time ran out. */
    public boolean awaitWarm(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (InferenceReplica replica : replicas) {
            if (!replica.awaitWarm(Math.max(0, deadline - System.nanoTime()))) {
                return false;
            }
        }
        return started;
    }

    public ModelSpec spec() {
        return spec;
    }

    /**
     * How long the longest batch this worker can be asked for takes: a full batch of DDPM over all of the model's T
     * steps with guidance (which doubles the forward pass), from the step time measured at warm-up.
     */
    public Duration longestBatchEstimate() {
        long step = replicas.stream().mapToLong(InferenceReplica::fullBatchStepNanos).max().orElse(0);
        return Duration.ofNanos(step * spec.schedule().timesteps() * 2);
    }

    public WorkerSettings settings() {
        return settings;
    }

    public Status status() {
        boolean warm = started && replicas.stream().allMatch(InferenceReplica::warmedUp);
        boolean alive = stopping || threads.stream().allMatch(Thread::isAlive);
        List<InferenceReplica> running = replicas;
        return new Status(warm, storage.available(), storage.problem(), stopping, alive, samplingFailing,
                running.size(), batcher.queuedImages(), pending.count(),
                running.stream().mapToInt(InferenceReplica::imagesInHand).sum());
    }

    /**
     * Takes a request. Every accepted request is answered through {@code callback} exactly once, on a worker
     * thread or (for a fault found at once) on the calling thread, unless the worker stops first. A refused request
     * (the worker is stopping) is never answered.
     */
    public Admission submit(GenerationRequest request, Consumer<Outcome> callback) {
        Objects.requireNonNull(callback, "callback");
        long now = clock.getAsLong();
        if (stopping || !started) {
            return Admission.REFUSED;
        }
        Job job;
        try {
            job = resolver.resolve(request, callback, now);
        } catch (RequestRejectedException e) {
            deliver(new Outcome.Failed(request, e.code(), e.getMessage()), callback, request, now);
            return new Admission(true, pending.room());
        } catch (RuntimeException e) {
            LOG.errorf(e, "Resolving request %s failed in the worker", request.requestId());
            deliver(new Outcome.Failed(request, ErrorCode.INTERNAL, "the worker failed on this request ("
                    + e.getClass().getSimpleName() + "); this is the worker's fault, not the request's"), callback,
                    request, now);
            return new Admission(true, pending.room());
        }
        if (job.isExpired(now)) {
            deliver(expired(request), callback, request, now);
            return new Admission(true, pending.room());
        }
        synchronized (inFlight) {
            Job running = inFlight.get(request.requestId());
            if (running != null) {
                if (running.fingerprint().equals(job.fingerprint())) {
                    // A redelivery or a second send while the first is still being made: one result for both. The
                    // copy holds its record unacknowledged as long as the first, so it takes as much room.
                    running.addFollower(new Job.Follower(request, now, callback));
                    pending.add(running.count());
                    return new Admission(true, pending.room());
                }
                deliver(new Outcome.Failed(request, ErrorCode.CONFLICT, "request id '" + request.requestId()
                        + "' is already being generated with different parameters; use a new request id for new"
                        + " parameters"), callback, request, now);
                return new Admission(true, pending.room());
            }
            inFlight.put(request.requestId(), job);
        }
        pending.add(job.count());
        storage.call(job, () -> results.lookup(job), existing -> afterLookup(job, existing), this::storageGaveUp);
        return new Admission(true, pending.room());
    }

    /**
     * Stops taking requests and finishes, within {@code grace}, every request already taken: queued ones are sampled
     * without waiting for their batches to fill, then everything is stored and answered. Past the grace period the
     * running batch is abandoned between two steps and what is left stays unanswered (its messages uncommitted, to
     * be delivered again). Returns true when everything taken was answered in time.
     */
    public boolean shutdown(Duration grace) throws InterruptedException {
        long deadline = System.nanoTime() + grace.toNanos();
        stopping = true;
        // Finish everything taken, not only the batch in hand: an unanswered request holds back the commit of every
        // later record of its partition, which the next worker would then answer a second time.
        batcher.drain();
        boolean inTime = joinReplicas(deadline);
        if (!inTime) {
            abort.set(true);
            for (Job job : new LinkedHashSet<>(batcher.close())) {
                if (job.markFailed()) {
                    abandon(job);
                }
            }
            joinReplicas(System.nanoTime() + TimeUnit.SECONDS.toNanos(10));
        }
        synchronized (inFlight) {
            while (!inFlight.isEmpty() || answering > 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                TimeUnit.NANOSECONDS.timedWait(inFlight, left);
            }
            inTime &= inFlight.isEmpty();
            if (!inFlight.isEmpty()) {
                LOG.warnf("Stopping with %d request(s) unanswered (%s); they stay uncommitted and are redelivered",
                        inFlight.size(), String.join(", ", inFlight.keySet()));
            }
        }
        storage.stop();
        scheduler.shutdownNow();
        io.shutdownNow();
        pending.lift();
        return inTime;
    }

    /** Stops at once (no grace) if still running, and closes the models. */
    @Override
    public void close() {
        boolean stopped = false;
        try {
            if (!stopping) {
                shutdown(Duration.ZERO);
            }
            abort.set(true);
            stopped = joinReplicas(System.nanoTime() + TimeUnit.SECONDS.toNanos(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (stopped) {
                engines.forEach(GenerationEngine::close);
            } else {
                // A replica still inside a forward pass would touch freed native memory: leak the models instead (the
                // process is ending anyway).
                LOG.errorf("A model replica is still running 10 s after the stop; its model is not freed");
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------------

    private void afterLookup(Job job, Optional<StoredObject> existing) {
        if (existing.isPresent()) {
            long e2e = endToEndMs(job.request(), job.receivedNanos());
            finish(job, results.fromExisting(job.request(), job, existing.get(), e2e));
        } else if (job.isExpired(clock.getAsLong())) {
            finish(job, expired(job.request()));
        } else {
            try {
                batcher.add(job);
            } catch (IllegalStateException closed) {
                abandon(job);
            }
        }
    }

    private void storageGaveUp(Job job, ErrorCode code, String reason) {
        if (job.markFailed()) {
            batcher.discard(job);
        }
        finish(job, new Outcome.Failed(job.request(), code, reason));
    }

    /** Answers the job and whoever followed it, and releases its images. */
    private void finish(Job job, Outcome outcome) {
        List<Job.Follower> followers;
        synchronized (inFlight) {
            if (!inFlight.remove(job.requestId(), job)) {
                return; // already answered or abandoned
            }
            followers = job.followers();
            answering++;
        }
        try {
            pending.release(job.count() * (1 + followers.size()));
            deliver(outcome, job.callback(), job.request(), job.receivedNanos());
            for (Job.Follower f : followers) {
                deliver(forFollower(outcome, f), f.callback(), f.request(), f.receivedNanos());
            }
        } finally {
            synchronized (inFlight) {
                answering--;
                // A stopping worker waits for the callbacks too: they hand the events to Kafka.
                inFlight.notifyAll();
            }
        }
    }

    /** Drops the job without answering (the worker is stopping); its message stays uncommitted. */
    private void abandon(Job job) {
        int followers;
        synchronized (inFlight) {
            if (!inFlight.remove(job.requestId(), job)) {
                return;
            }
            followers = job.followers().size();
            inFlight.notifyAll();
        }
        pending.release(job.count() * (1 + followers));
    }

    private Outcome forFollower(Outcome outcome, Job.Follower follower) {
        long e2e = endToEndMs(follower.request(), follower.receivedNanos());
        if (outcome instanceof Outcome.Completed c) {
            return new Outcome.Completed(follower.request(), c.parameters(), c.grid(), c.trajectory(), c.model(),
                    new Outcome.Timings(0, 0, 0, e2e), List.of(), true);
        }
        Outcome.Failed f = (Outcome.Failed) outcome;
        return new Outcome.Failed(follower.request(), f.code(), f.message());
    }

    private void deliver(Outcome outcome, Consumer<Outcome> callback, GenerationRequest request, long receivedNanos) {
        long e2eNanos = clock.getAsLong() - receivedNanos;
        try {
            listener.requestFinished(outcome, e2eNanos);
        } catch (RuntimeException e) {
            LOG.debugf(e, "Worker listener failed");
        }
        logOutcome(outcome);
        try {
            callback.accept(outcome);
        } catch (RuntimeException e) {
            LOG.errorf(e, "Answering request %s failed", request.requestId());
        }
    }

    private static void logOutcome(Outcome outcome) {
        if (outcome instanceof Outcome.Completed c) {
            int batchImages = c.batches().stream().mapToInt(Outcome.BatchShare::images).max().orElse(0);
            LOG.infof("request %s COMPLETED%s: %d image(s), %s, key %s, %d batch(es) (largest %d images),"
                    + " queued %d ms, sampling %d ms, upload %d ms, end to end %d ms", c.requestId(),
                    c.deduplicated() ? " (existing result, not sampled again)" : "", c.grid().count(),
                    ResultStore.samplerId(c.parameters().sampler()) + "-" + c.parameters().sampler().steps(),
                    c.grid().key(), c.batches().size(), batchImages, c.timings().queuedMs(), c.timings().samplingMs(),
                    c.timings().uploadMs(), c.timings().endToEndMs());
        } else {
            Outcome.Failed f = (Outcome.Failed) outcome;
            String id = f.requestId() == null ? "(no id)" : f.requestId();
            if (f.code().isRequestFault()) {
                LOG.infof("request %s FAILED %s: %s", id, f.code(), f.message());
            } else {
                LOG.warnf("request %s FAILED %s: %s", id, f.code(), f.message());
            }
        }
    }

    private static long endToEndMs(GenerationRequest request, long receivedNanos) {
        if (request.submittedAt() != null) {
            return Math.max(0, -TimeUnit.NANOSECONDS.toMillis(RequestResolver.nanosFromNowTo(request.submittedAt())));
        }
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - receivedNanos);
    }

    private static Outcome.Failed expired(GenerationRequest request) {
        return new Outcome.Failed(request, ErrorCode.EXPIRED, "the deadline " + request.deadline()
                + " passed before sampling started; send it again with a later deadline (or none)");
    }

    private boolean joinReplicas(long deadlineNanos) throws InterruptedException {
        for (Thread thread : threads) {
            long left = deadlineNanos - System.nanoTime();
            if (left > 0) {
                TimeUnit.NANOSECONDS.timedJoin(thread, left);
            }
            if (thread.isAlive()) {
                return false;
            }
        }
        return true;
    }

    private static ThreadFactory daemon(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /** What the replicas hand back. */
    private final class ReplicaSink implements InferenceReplica.Sink {

        @Override
        public void sampled(Job job) {
            try {
                io.execute(() -> encodeAndStore(job));
            } catch (java.util.concurrent.RejectedExecutionException e) {
                abandon(job);
            }
        }

        @Override
        public void expired(Job job) {
            if (job.markFailed()) {
                batcher.discard(job); // a retried slice may have expired while another waits
            }
            finish(job, GenerationWorker.expired(job.request()));
        }

        @Override
        public void batchFailed(List<Batch.Slice> slices, RuntimeException failure) {
            samplingFailing = true;
            LOG.errorf(failure, "Sampling a batch of %d request(s) failed; readiness is down until a batch succeeds",
                    slices.size());
            for (Batch.Slice slice : slices) {
                Job job = slice.job();
                int failures = job.samplingFailed();
                if (failures < settings.samplingAttempts() && !stopping && !job.isFailed()) {
                    Duration backoff = settings.samplingRetryBackoff().multipliedBy(1L << Math.min(failures - 1, 20));
                    LOG.warnf("Sampling %s failed (%d of %d attempts); its images %d..%d are queued again in %s",
                            job.requestId(), failures, settings.samplingAttempts(), slice.from(), slice.to() - 1,
                            describe(backoff));
                    retryLater(job, slice.from(), slice.to(), backoff);
                } else if (job.markFailed()) {
                    batcher.discard(job);
                    finish(job, new Outcome.Failed(job.request(), ErrorCode.INTERNAL, "sampling failed in the worker "
                            + failures + " time(s) (" + failure.getClass().getSimpleName() + "); try again later"));
                }
            }
        }

        @Override
        public void batchSucceeded() {
            if (samplingFailing) {
                samplingFailing = false;
                LOG.info("Sampling works again; readiness is back");
            }
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
                abandon(job); // stopping: left unanswered, redelivered
            }
        };
        try {
            scheduler.schedule(retry, backoff.toNanos(), TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.RejectedExecutionException stopped) {
            abandon(job);
        }
    }

    private void encodeAndStore(Job job) {
        long start = clock.getAsLong();
        ResultStore.Encoded encoded;
        try {
            encoded = results.encode(job);
        } catch (RuntimeException e) {
            LOG.errorf(e, "Encoding the grid of %s failed", job.requestId());
            finish(job, new Outcome.Failed(job.request(), ErrorCode.INTERNAL, "encoding the images failed in the worker"));
            return;
        }
        storage.call(job, () -> results.store(job, encoded), stored -> {
            long uploadNanos = clock.getAsLong() - start;
            listener.uploaded(uploadNanos);
            Outcome.Timings timings = new Outcome.Timings(TimeUnit.NANOSECONDS.toMillis(job.queuedNanos()),
                    TimeUnit.NANOSECONDS.toMillis(job.samplingNanos()), TimeUnit.NANOSECONDS.toMillis(uploadNanos),
                    endToEndMs(job.request(), job.receivedNanos()));
            finish(job, new Outcome.Completed(job.request(), job.parameters(), stored.grid(), stored.trajectory(),
                    results.model(), timings, job.batches(), false));
        }, this::storageGaveUp);
    }

    @Override
    public String toString() {
        return "GenerationWorker[" + spec.name() + ", " + engines.size() + " replica(s), " + batcher + "]";
    }

    static String describe(Duration d) {
        return String.format(Locale.ROOT, "%.1f s", d.toMillis() / 1000.0);
    }
}
