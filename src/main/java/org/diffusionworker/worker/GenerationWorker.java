package org.diffusionworker.worker;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
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
 * <p>The flow of one request: {@link #submit} checks it against this worker's limits and model
 * ({@link RequestResolver}; a fault is answered at once) and against requests in flight with the same id
 * ({@link InFlightRequests}, which also answers each exactly once); an I/O thread looks for an existing result
 * under its key (same parameters: answered from it; different: {@link ErrorCode#CONFLICT}); otherwise it joins the
 * {@link DynamicBatcher}. One {@link InferenceReplica} thread per model replica samples batches
 * ({@link SampledBatches} takes their results and failures); when a request's last image is sampled, an I/O thread
 * encodes the grid and uploads it ({@link ResultStore}, {@link StorageGuard}).
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
    private final Answers answers;
    private final InFlightRequests inFlight;
    private final DynamicBatcher batcher;
    private final ExecutorService io;
    private final ScheduledExecutorService scheduler;
    private final StorageGuard storage;
    private final SampledBatches sampled;
    /** Filled once by {@link #start}, then read from any thread. */
    private volatile List<InferenceReplica> replicas = List.of();
    private volatile List<Thread> threads = List.of();
    private final AtomicBoolean abort = new AtomicBoolean();
    private volatile boolean stopping;
    private volatile boolean started;

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
        this.answers = new Answers(listener, clock);
        this.inFlight = new InFlightRequests(pending, answers);
        this.batcher = new DynamicBatcher(settings.maxBatchImages(), settings.maxQueueDelay(), settings.policy(), clock);
        this.io = Executors.newFixedThreadPool(settings.uploadThreads(), daemon("worker-io"));
        this.scheduler = Executors.newSingleThreadScheduledExecutor(daemon("worker-storage-retry"));
        this.storage = new StorageGuard(store, io, scheduler, settings.storageOutageLimit(),
                settings.storageRetryInterval(), clock);
        this.sampled = new SampledBatches(settings, batcher, inFlight, io, scheduler, this::encodeAndStore,
                () -> stopping);
    }

    /** Checks the bucket and starts the replicas, each warming its model up on its own thread. */
    public synchronized void start() {
        if (started) {
            throw new IllegalStateException("the worker was already started");
        }
        started = true;
        storage.start();
        List<InferenceReplica> made = new ArrayList<>();
        List<Thread> madeThreads = new ArrayList<>();
        for (int i = 0; i < engines.size(); i++) {
            InferenceReplica replica = new InferenceReplica(i, engines.get(i), batcher, settings.maxBatchImages(),
                    sampled, listener, abort, clock);
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
        return new Status(warm, storage.available(), storage.problem(), stopping, alive, sampled.failing(),
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
            return answerAtOnce(new Outcome.Failed(request, e.code(), e.getMessage()), callback, now);
        } catch (RuntimeException e) {
            LOG.errorf(e, "Resolving request %s failed in the worker", request.requestId());
            return answerAtOnce(new Outcome.Failed(request, ErrorCode.INTERNAL, "the worker failed on this request ("
                    + e.getClass().getSimpleName() + "); this is the worker's fault, not the request's"), callback, now);
        }
        if (job.isExpired(now)) {
            return answerAtOnce(Answers.expired(request), callback, now);
        }
        switch (inFlight.register(job, request, callback, now)) {
            case NEW -> storage.call(job, () -> results.lookup(job), existing -> afterLookup(job, existing),
                    this::storageGaveUp);
            case FOLLOWS -> { } // answered with the one being made
            case CONFLICT -> answers.deliver(new Outcome.Failed(request, ErrorCode.CONFLICT, "request id '"
                    + request.requestId() + "' is already being generated with different parameters; use a new"
                    + " request id for new parameters"), callback, request, now);
        }
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
                    inFlight.abandon(job);
                }
            }
            joinReplicas(System.nanoTime() + TimeUnit.SECONDS.toNanos(10));
        }
        inTime &= inFlight.awaitNone(deadline);
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

    private Admission answerAtOnce(Outcome outcome, Consumer<Outcome> callback, long now) {
        answers.deliver(outcome, callback, outcome.request(), now);
        return new Admission(true, pending.room());
    }

    private void afterLookup(Job job, Optional<StoredObject> existing) {
        if (existing.isPresent()) {
            long e2e = Answers.endToEndMs(job.request(), job.receivedNanos());
            inFlight.finish(job, results.fromExisting(job.request(), job, existing.get(), e2e));
        } else if (job.isExpired(clock.getAsLong())) {
            inFlight.finish(job, Answers.expired(job.request()));
        } else {
            try {
                batcher.add(job);
            } catch (IllegalStateException closed) {
                inFlight.abandon(job);
            }
        }
    }

    private void storageGaveUp(Job job, ErrorCode code, String reason) {
        if (job.markFailed()) {
            batcher.discard(job);
        }
        inFlight.finish(job, new Outcome.Failed(job.request(), code, reason));
    }

    /** On an I/O thread: the grid encoded, then stored through the guard, then the request answered. */
    private void encodeAndStore(Job job) {
        long start = clock.getAsLong();
        ResultStore.Encoded encoded;
        try {
            encoded = results.encode(job);
        } catch (RuntimeException e) {
            LOG.errorf(e, "Encoding the grid of %s failed", job.requestId());
            inFlight.finish(job, new Outcome.Failed(job.request(), ErrorCode.INTERNAL,
                    "encoding the images failed in the worker"));
            return;
        }
        storage.call(job, () -> results.store(job, encoded), stored -> {
            long uploadNanos = clock.getAsLong() - start;
            listener.uploaded(uploadNanos);
            Outcome.Timings timings = new Outcome.Timings(TimeUnit.NANOSECONDS.toMillis(job.queuedNanos()),
                    TimeUnit.NANOSECONDS.toMillis(job.samplingNanos()), TimeUnit.NANOSECONDS.toMillis(uploadNanos),
                    Answers.endToEndMs(job.request(), job.receivedNanos()));
            inFlight.finish(job, new Outcome.Completed(job.request(), job.parameters(), stored.grid(),
                    stored.trajectory(), results.model(), timings, job.batches(), false));
        }, this::storageGaveUp);
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

    @Override
    public String toString() {
        return "GenerationWorker[" + spec.name() + ", " + engines.size() + " replica(s), " + batcher + "]";
    }
}
