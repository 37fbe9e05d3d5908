package org.diffusionworker.worker;

import io.opentelemetry.api.trace.Tracer;
import java.lang.System.Logger.Level;
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

/**
 * The worker: takes generation requests, batches compatible ones onto the model, stores the grids and answers every
 * request exactly once through its {@link RequestObserver} with an {@link Outcome}, or not at all when the worker stops
 * before finishing it (the caller then leaves it unacknowledged, to be delivered again).
 *
 * <p>A request moves through named stages, each one class with one job, handed on by futures (see {@link #run}):
 * <b>resolve</b> ({@link RequestResolver}: limits, defaults, context; a fault is answered at once) -> <b>look up</b>
 * an existing result under its key ({@link StorageGuard} over {@link ResultStore}) -> <b>queue</b> and <b>batch</b>
 * ({@link DynamicBatcher}) -> <b>sample</b> (an {@link InferenceReplica} per model replica, with a per-step
 * {@link BatchStepHook} for progress and cancel) -> <b>encode</b> and <b>store</b> ({@link ResultStore} on the I/O
 * threads, through the {@link StorageGuard}) -> <b>answer</b> ({@link InFlightRequests}, which also answers the copies
 * of a request that arrived meanwhile). No stage calls back into this class. A request's {@link RequestState} is one
 * state machine on its {@link Job}; {@link #cancel} and the stages move it, and the first terminal move wins.
 *
 * <p>Back-pressure: {@link #submit} returns, with the admission, a stage that completes once fewer than
 * {@link WorkerSettings.Fairness#maxTakenRequests()} requests are taken here; a caller that waits for it before
 * fetching more never makes the worker hold more than that. Taken requests wait in the {@link DynamicBatcher}, which
 * schedules them by class and tenant and admits at most {@link WorkerSettings#maxPendingImages()} images into
 * batches at a time.
 *
 * <p>Tracing: each stage of a request is an OpenTelemetry span ({@link StageSpans}: look-up, queued, sampling, encode,
 * upload; a batch is a span of its own linked to its requests), a child of the context current when {@link #submit}
 * was called.
 */
public final class GenerationWorker implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(GenerationWorker.class.getName());

    /** The answer of {@link #submit}: whether the request was taken, and when the caller may send the next. */
    public record Admission(boolean accepted, CompletionStage<Void> room) {
        static final Admission REFUSED = new Admission(false, CompletableFuture.completedFuture(null));
    }

    private final WorkerSettings settings;
    private final List<GenerationEngine> engines;
    private final ModelSpec spec;
    private final ResultStore results;
    private final WorkerListener listener;
    private final LongSupplier clock;
    private final RequestResolver resolver;
    private final TakenRequests taken;
    private final Answers answers;
    private final InFlightRequests inFlight;
    private final DynamicBatcher batcher;
    private final ExecutorService io;
    /** Puts of single images (layouts images and both), side by side; see {@link ResultStore#PARALLEL_PUTS}. */
    private final ExecutorService imagePuts;
    private final ScheduledExecutorService scheduler;
    private final StorageGuard storage;
    private final SampledBatches sampled;
    private final CancelRegistry cancels;
    private final StageSpans spans;
    private final StorageStages stages;
    /** Filled once by {@link #start}, then read from any thread. */
    private volatile ReplicaThreads replicas = ReplicaThreads.NONE;
    private final AtomicBoolean abort = new AtomicBoolean();
    private volatile boolean stopping;
    private volatile boolean started;

    /**
     * @param engines one per replica, each on its own device; the worker owns and closes them
     * @param store   where grids go; the caller owns it
     */
    public GenerationWorker(WorkerSettings settings, List<GenerationEngine> engines, ObjectStore store, ObjectKeys keys,
            WorkerListener listener) {
        this(settings, engines, store, keys, listener, StageSpans.NONE, System::nanoTime);
    }

    /**
     * As {@link #GenerationWorker(WorkerSettings, List, ObjectStore, ObjectKeys, WorkerListener)}, with each stage of
     * a request recorded as a span by {@code tracer}.
     */
    public GenerationWorker(WorkerSettings settings, List<GenerationEngine> engines, ObjectStore store, ObjectKeys keys,
            WorkerListener listener, Tracer tracer) {
        this(settings, engines, store, keys, listener, new StageSpans(tracer), System::nanoTime);
    }

    GenerationWorker(WorkerSettings settings, List<GenerationEngine> engines, ObjectStore store, ObjectKeys keys,
            WorkerListener listener, LongSupplier clock) {
        this(settings, engines, store, keys, listener, StageSpans.NONE, clock);
    }

    private GenerationWorker(WorkerSettings settings, List<GenerationEngine> engines, ObjectStore store,
            ObjectKeys keys, WorkerListener listener, StageSpans spans, LongSupplier clock) {
        this.spans = Objects.requireNonNull(spans, "spans");
        this.settings = Objects.requireNonNull(settings, "settings");
        if (engines.isEmpty()) {
            throw new IllegalArgumentException("a worker needs at least one model replica");
        }
        this.engines = List.copyOf(engines);
        this.spec = engines.get(0).spec();
        this.listener = Objects.requireNonNull(listener, "listener");
        this.clock = clock;
        // Threads are started on the first put: a worker whose requests all want grids never makes them.
        this.imagePuts = Executors.newFixedThreadPool(ResultStore.PARALLEL_PUTS, daemon("worker-image-put"));
        this.results = new ResultStore(store, keys,
                new Outcome.ModelInfo(spec.name(), engines.get(0).model().weightsSha256()), imagePuts);
        this.resolver = new RequestResolver(settings, spec);
        this.taken = new TakenRequests(settings.fairness().maxTakenRequests());
        this.answers = new Answers(listener, clock);
        this.inFlight = new InFlightRequests(taken, answers);
        this.batcher = new DynamicBatcher(settings.maxBatchImages(), settings.maxQueueDelay(), settings.policy(),
                settings.maxPendingImages(), settings.fairness(), clock);
        this.io = Executors.newFixedThreadPool(settings.uploadThreads(), daemon("worker-io"));
        this.scheduler = Executors.newSingleThreadScheduledExecutor(daemon("worker-storage-retry"));
        this.storage = new StorageGuard(store, io, scheduler, settings.storageOutageLimit(),
                settings.storageRetryInterval(), clock);
        this.sampled = new SampledBatches(settings, batcher, scheduler, () -> stopping);
        this.stages = new StorageStages(results, storage, spans, listener, clock);
        this.cancels = new CancelRegistry(settings.lifecycle().cancelRetention(), settings.lifecycle().cancelCapacity());
    }

    /** Checks the bucket and starts the replicas, each warming its model up on its own thread. */
    public synchronized void start() {
        if (started) {
            throw new IllegalStateException("the worker was already started");
        }
        started = true;
        storage.start();
        List<InferenceReplica> made = new ArrayList<>();
        for (int i = 0; i < engines.size(); i++) {
            made.add(new InferenceReplica(i, engines.get(i), batcher, settings.maxBatchImages(), settings.largestPass(),
                    sampled, listener, spans, abort, clock));
        }
        replicas = new ReplicaThreads(made);
        replicas.start();
    }

    /** Waits until every replica has warmed up; false when one failed or the time ran out. */
    public boolean awaitWarm(Duration timeout) throws InterruptedException {
        if (!replicas.awaitWarm(timeout)) {
            return false;
        }
        return started;
    }

    public ModelSpec spec() {
        return spec;
    }

    public WorkerSettings settings() {
        return settings;
    }

    public WorkerStatus status() {
        boolean warm = started && replicas.warmedUp();
        boolean alive = stopping || replicas.alive();
        ReplicaThreads running = replicas;
        return new WorkerStatus(warm, storage.available(), storage.problem(), stopping, alive, sampled.failing(),
                running.size(), batcher.queuedImages(), batcher.queuedImages() + batcher.admittedImages(),
                running.imagesInHand(), taken.count());
    }

    /** As {@link #submit(GenerationRequest, RequestObserver)}, told only the outcome. */
    public Admission submit(GenerationRequest request, Consumer<Outcome> callback) {
        return submit(request, RequestObserver.of(callback));
    }

    /**
     * Takes a request. Every accepted request is answered through {@code observer} exactly once, on a worker thread
     * or (for a fault found at once) on the calling thread, unless the worker stops first. A refused request (the
     * worker is stopping) is never answered. The observer also hears STARTED and PROGRESS when the request asked.
     * The request's spans are children of the OpenTelemetry context current on the calling thread.
     */
    public Admission submit(GenerationRequest request, RequestObserver observer) {
        Objects.requireNonNull(observer, "observer");
        long now = clock.getAsLong();
        if (stopping || !started) {
            return Admission.REFUSED;
        }
        RequestObserver counted = new CountingObserver(observer, listener);
        Job job;
        try {
            job = resolver.resolve(request, counted, now);
        } catch (RequestRejectedException e) {
            return answerAtOnce(new Outcome.Failed(request, e.code(), e.getMessage()), counted, now);
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, () -> "Resolving request " + request.requestId() + " failed in the worker", e);
            return answerAtOnce(StageFailure.internal(request, e), counted, now);
        }
        if (job.isExpired(now)) {
            return answerAtOnce(Answers.expired(request), counted, now);
        }
        switch (inFlight.register(job, request, counted, now)) {
            case NEW -> {
                if (cancels.isCanceled(request.requestId(), now)) {
                    job.requestCancel();
                }
                run(job);
            }
            case FOLLOWS -> { } // answered with the one being made
            case CONFLICT -> answers.deliver(new Outcome.Failed(request, ErrorCode.CONFLICT, "request id '"
                    + request.requestId() + "' is already being generated with different parameters; use a new"
                    + " request id for new parameters"), counted, request, now);
        }
        return new Admission(true, taken.room());
    }

    /**
     * Cancels the request {@code requestId} (a control record): queued or running here, it is answered CANCELED at
     * once and its images leave their batch at the next step; being stored or done, nothing changes. Either way the
     * cancel is remembered ({@link WorkerSettings.Lifecycle#cancelRetention()}), so the request, or a redelivery of
     * it, arriving later is answered CANCELED (unless its result exists by then).
     */
    public CancelEffect cancel(String requestId) {
        Objects.requireNonNull(requestId, "requestId");
        cancels.remember(requestId, clock.getAsLong());
        CancelEffect effect = inFlight.get(requestId).map(job -> {
            RequestState before = job.state();
            if (!job.cancel()) {
                return CancelEffect.TOO_LATE;
            }
            batcher.discard(job);
            return CancelEffect.after(before);
        }).orElse(CancelEffect.NOT_HERE);
        listener.cancelReceived(effect);
        return effect;
    }

    /**
     * Drops the request {@code requestId} unanswered, wherever it is: its record's partition went to another worker,
     * which answers it. Queued, it leaves the batcher; running, its images leave the batch at the next step; storing,
     * the upload finishes (keys are idempotent) but nothing is answered. Returns where it was ({@code looking_up},
     * {@code queued}, {@code running} or {@code storing}), or empty when it was not in flight here.
     */
    public Optional<String> release(String requestId) {
        Objects.requireNonNull(requestId, "requestId");
        return inFlight.get(requestId).flatMap(job -> {
            RequestState before = job.state();
            if (!job.abandon()) {
                return Optional.empty();
            }
            batcher.discard(job);
            return Optional.of(before.name().toLowerCase(java.util.Locale.ROOT));
        });
    }

    /** Where the request {@code requestId} is here, if it is in flight. */
    Optional<RequestState> stateOf(String requestId) {
        return inFlight.get(requestId).map(Job::state);
    }

    /** Cancels remembered now, for the dashboard. */
    public int rememberedCancels() {
        return cancels.size();
    }

    /**
     * The pipeline of one request, in the order its stages run: look up -> queue/batch/sample -> encode -> store ->
     * answer. Every stage hands on through a future; a failure anywhere becomes the request's answer (its
     * {@link StageFailure} code, or INTERNAL for a defect), and a request ended early (canceled, expired, failed in
     * another slice) skips what is left.
     */
    private void run(Job job) {
        job.outcome().whenComplete((outcome, abandoned) -> {
            batcher.finished(job); // its admitted images make room
            if (outcome != null) {
                inFlight.finish(job, outcome); // answer
            } else {
                inFlight.abandon(job);
            }
        });
        stages.lookUp(job) // look up
                .thenCompose(existing -> existing.isPresent()
                        ? CompletableFuture.completedFuture(existing.get())
                        : sample(job)
                                .thenApplyAsync(sampled -> stages.encode(job), io) // encode
                                .thenCompose(encoded -> stages.store(job, encoded))) // store
                .whenComplete((outcome, failure) -> {
                    Outcome answer = outcome != null ? outcome : StageFailure.answerFor(job, failure);
                    if (answer != null) {
                        job.end(answer);
                    }
                });
    }

    /** Queue, batch and sample: completes when the replicas have sampled the request's last image. */
    private CompletableFuture<Void> sample(Job job) {
        Outcome.CancelPoint canceled = job.cancelRequested();
        if (canceled != null) {
            job.end(new Outcome.Canceled(job.request(), canceled, 0));
        } else if (job.isExpired(clock.getAsLong())) {
            job.end(Answers.expired(job.request()));
        } else if (stopping) {
            job.abandon(); // looked up after the stop began: not started, so left to the next owner
        } else if (job.moveTo(RequestState.QUEUED)) {
            job.queuedSince(spans.start(StageSpans.QUEUED, job)
                    .setAttribute(StageSpans.IMAGES, (long) job.count()));
            try {
                batcher.add(job);
            } catch (IllegalStateException closed) {
                job.abandon();
            }
        }
        return job.sampled();
    }

    /**
     * Stops taking requests and finishes, within {@code grace}, every request that has started (images of it were in a
     * batch): its queued images are sampled without waiting for their batches to fill, then it is stored and
     * answered. Requests that never started are dropped unanswered at once (their records stay uncommitted, to be
     * delivered again). Past the grace period the running batch is abandoned between two steps and what is left stays
     * unanswered too. Returns true when everything not dropped at once was answered in time.
     */
    public boolean shutdown(Duration grace) throws InterruptedException {
        long deadline = System.nanoTime() + grace.toNanos();
        stopping = true;
        // Finish what has started; what has not is left unanswered at once rather than sampled in the grace period:
        // the partition's next owner takes it (answers of later records are committed with their offsets listed as
        // answered, so nothing is answered twice).
        for (Job job : batcher.drain()) {
            job.abandon();
        }
        boolean inTime = replicas.join(deadline);
        if (!inTime) {
            abort.set(true);
            for (Job job : new LinkedHashSet<>(batcher.close())) {
                job.abandon();
            }
            replicas.join(System.nanoTime() + TimeUnit.SECONDS.toNanos(10));
        }
        inTime &= inFlight.awaitNone(deadline);
        storage.stop();
        scheduler.shutdownNow();
        io.shutdownNow();
        imagePuts.shutdownNow();
        taken.lift();
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
            stopped = replicas.join(System.nanoTime() + TimeUnit.SECONDS.toNanos(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (stopped) {
                engines.forEach(GenerationEngine::close);
            } else {
                // A replica still inside a forward pass would touch freed native memory: leak the models instead (the
                // process is ending anyway).
                LOG.log(Level.ERROR, "A model replica is still running 10 s after the stop; its model is not freed");
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------------

    private Admission answerAtOnce(Outcome outcome, RequestObserver observer, long now) {
        answers.deliver(outcome, observer, outcome.request(), now);
        return new Admission(true, taken.room());
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
