package org.diffusionworker.worker;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
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
import org.diffusionworker.diffusion.SamplerKind;
import org.diffusionworker.diffusion.SamplerSettings;
import org.diffusionworker.generation.Conditioning;
import org.diffusionworker.generation.GenerationEngine;
import org.diffusionworker.generation.UnknownLabelException;
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
    private static final String FINGERPRINT_VERSION = "v1";

    /** The answer of {@link #submit}: whether the request was taken, and when the caller may send the next. */
    public record Admission(boolean accepted, CompletionStage<Void> room) {
        static final Admission REFUSED = new Admission(false, CompletableFuture.completedFuture(null));
    }

    /** What readiness and liveness are made of. */
    public record Status(boolean modelReady, boolean storageAvailable, String storageProblem, boolean stopping,
            boolean replicasAlive, int replicas, int queuedImages, int pendingImages, int imagesInHand) {
        public boolean ready() {
            return modelReady && storageAvailable && !stopping && replicasAlive;
        }
    }

    private final WorkerSettings settings;
    private final List<GenerationEngine> engines;
    private final ModelSpec spec;
    private final ResultStore results;
    private final WorkerListener listener;
    private final LongSupplier clock;
    private final DynamicBatcher batcher;
    private final ExecutorService io;
    private final ScheduledExecutorService scheduler;
    private final StorageGuard storage;
    private final List<InferenceReplica> replicas = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private final AtomicBoolean abort = new AtomicBoolean();
    private final SecureRandom seeds = new SecureRandom();

    /** Jobs by request id, from admission to answer; guarded by itself. */
    private final Map<String, Job> inFlight = new HashMap<>();
    /** Jobs removed from {@link #inFlight} whose callbacks are still running; guarded by {@link #inFlight}. */
    private int answering;
    private final AtomicInteger pendingImages = new AtomicInteger();
    private final ArrayDeque<CompletableFuture<Void>> waitingForRoom = new ArrayDeque<>();
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
        for (int i = 0; i < engines.size(); i++) {
            InferenceReplica replica = new InferenceReplica(i, engines.get(i), batcher, settings.maxBatchImages(), sink,
                    listener, abort, clock);
            Thread thread = new Thread(replica, "inference-" + i);
            thread.setDaemon(true);
            replicas.add(replica);
            threads.add(thread);
            thread.start();
        }
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
        return new Status(warm, storage.available(), storage.problem(), stopping, alive, replicas.size(),
                batcher.queuedImages(), pendingImages.get(),
                replicas.stream().mapToInt(InferenceReplica::imagesInHand).sum());
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
            job = resolve(request, callback, now);
        } catch (RequestRejectedException e) {
            deliver(new Outcome.Failed(request, e.code(), e.getMessage()), callback, request, now);
            return new Admission(true, room());
        }
        if (job.isExpired(now)) {
            deliver(expired(request), callback, request, now);
            return new Admission(true, room());
        }
        synchronized (inFlight) {
            Job running = inFlight.get(request.requestId());
            if (running != null) {
                if (running.fingerprint().equals(job.fingerprint())) {
                    // A redelivery or a second send while the first is still being made: one result for both.
                    running.addFollower(new Job.Follower(request, now, callback));
                    return new Admission(true, room());
                }
                deliver(new Outcome.Failed(request, ErrorCode.CONFLICT, "request id '" + request.requestId()
                        + "' is already being generated with different parameters; use a new request id for new"
                        + " parameters"), callback, request, now);
                return new Admission(true, room());
            }
            inFlight.put(request.requestId(), job);
        }
        pendingImages.addAndGet(job.count());
        storage.call(job, () -> results.lookup(job), existing -> afterLookup(job, existing), this::storageGaveUp);
        return new Admission(true, room());
    }

    /**
     * Stops taking requests and finishes the batches in hand within {@code grace}: requests still queued are dropped
     * unanswered (their messages stay uncommitted), requests being sampled are finished, stored and answered. Past
     * the grace period a running batch is abandoned between two steps. Returns true when everything in hand was
     * answered in time.
     */
    public boolean shutdown(Duration grace) throws InterruptedException {
        long deadline = System.nanoTime() + grace.toNanos();
        stopping = true;
        for (Job job : new LinkedHashSet<>(batcher.close())) {
            if (job.markFailed()) {
                abandon(job);
            }
        }
        boolean inTime = joinReplicas(deadline);
        if (!inTime) {
            abort.set(true);
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
        scheduler.shutdownNow();
        io.shutdownNow();
        synchronized (waitingForRoom) {
            waitingForRoom.forEach(f -> f.complete(null));
            waitingForRoom.clear();
        }
        return inTime;
    }

    /** Stops at once (no grace) if still running, and closes the models. */
    @Override
    public void close() {
        try {
            if (!stopping) {
                shutdown(Duration.ZERO);
            } else {
                abort.set(true);
                joinReplicas(System.nanoTime() + TimeUnit.SECONDS.toNanos(10));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            engines.forEach(GenerationEngine::close);
        }
    }

    // ---------------------------------------------------------------------------------------------------------------

    private Job resolve(GenerationRequest request, Consumer<Outcome> callback, long now) {
        if (request.count() > settings.maxCount()) {
            throw new RequestRejectedException(ErrorCode.LIMIT_EXCEEDED,
                    "count must be at most " + settings.maxCount() + " on this worker, got " + request.count()
                            + "; split the request");
        }
        int timesteps = spec.schedule().timesteps();
        SamplerSettings sampler;
        if (request.sampler() == SamplerKind.DDPM) {
            if (request.steps() != null && request.steps() != timesteps) {
                throw new RequestRejectedException(ErrorCode.INVALID_REQUEST, "ddpm always takes all " + timesteps
                        + " steps of this model; leave steps out, or use ddim for fewer steps");
            }
            sampler = SamplerSettings.ddpm(timesteps);
        } else {
            int steps = request.steps() != null ? request.steps() : Math.min(settings.defaultDdimSteps(), timesteps);
            int maxSteps = Math.min(settings.maxSteps(), timesteps);
            if (steps > maxSteps) {
                throw new RequestRejectedException(ErrorCode.LIMIT_EXCEEDED, "ddim steps must be at most " + maxSteps
                        + " on this worker (model T = " + timesteps + "), got " + steps);
            }
            sampler = SamplerSettings.ddim(steps, request.eta());
        }
        float[] context;
        try {
            context = request.conditioning().vector(spec.labels());
        } catch (UnknownLabelException e) {
            throw new RequestRejectedException(ErrorCode.UNKNOWN_LABEL, e.getMessage());
        }
        boolean drawn = request.seed() == null;
        long seed = drawn ? seeds.nextLong() & Long.MAX_VALUE : request.seed();
        int columns = request.columns() != null ? request.columns() : (int) Math.ceil(Math.sqrt(request.count()));
        String contextKey = canonical(request.conditioning());
        Outcome.EffectiveParameters parameters = new Outcome.EffectiveParameters(request.conditioning().describe(),
                request.count(), sampler, request.guidance(), seed, drawn, columns, request.trajectory());
        // As a nanoTime instant; TimeUnit saturates, and a quarter of the range keeps now + x free of overflow.
        long untilDeadline = request.deadline() == null ? Long.MAX_VALUE
                : TimeUnit.MILLISECONDS.toNanos(Duration.between(Instant.now(), request.deadline()).toMillis());
        long deadline = now + Math.max(-Long.MAX_VALUE / 4, Math.min(untilDeadline, Long.MAX_VALUE / 4));
        return new Job(request, parameters, context, contextKey, fingerprint(request, contextKey, sampler, columns),
                now, deadline, callback);
    }

    /**
     * SHA-256 of the parameters that decide the pixels, as sent (a missing seed stays "drawn", so a redelivery of a
     * request without a seed matches its first delivery) with defaults applied. Attributes and deadline are not part
     * of it: they do not change the images.
     */
    static String fingerprint(GenerationRequest r, String contextKey, SamplerSettings sampler, int columns) {
        String canonical = String.join("\n", FINGERPRINT_VERSION, "context=" + contextKey, "count=" + r.count(),
                "sampler=" + ResultStore.samplerId(sampler), "steps=" + sampler.steps(), "eta=" + sampler.eta(),
                "guidance=" + r.guidance(), "seed=" + (r.seed() == null ? "drawn" : r.seed().toString()),
                "columns=" + columns, "trajectory=" + r.trajectory());
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(canonical.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(hash);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    static String canonical(Conditioning conditioning) {
        if (conditioning instanceof Conditioning.Label label) {
            return "label:" + label.name();
        }
        if (conditioning instanceof Conditioning.Mix mix) {
            StringBuilder s = new StringBuilder("mix:");
            new TreeMap<>(mix.weights()).forEach((name, w) -> s.append(name).append('=').append(w).append(';'));
            return s.toString();
        }
        return "none";
    }

    private void afterLookup(Job job, Optional<StoredObject> existing) {
        if (existing.isPresent()) {
            long e2e = endToEndMs(job.request(), job.receivedNanos());
            finish(job, results.fromExisting(job.request(), job, existing.get(), e2e));
        } else if (stopping) {
            abandon(job);
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

    private void storageGaveUp(Job job, String reason) {
        if (job.markFailed()) {
            batcher.discard(job);
        }
        finish(job, new Outcome.Failed(job.request(), ErrorCode.STORAGE_UNAVAILABLE, reason));
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
            release(job.count());
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
        synchronized (inFlight) {
            if (!inFlight.remove(job.requestId(), job)) {
                return;
            }
            inFlight.notifyAll();
        }
        release(job.count());
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
            return Math.max(0, Duration.between(request.submittedAt(), Instant.now()).toMillis());
        }
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - receivedNanos);
    }

    private static Outcome.Failed expired(GenerationRequest request) {
        return new Outcome.Failed(request, ErrorCode.EXPIRED, "the deadline " + request.deadline()
                + " passed before sampling started; send it again with a later deadline (or none)");
    }

    private CompletionStage<Void> room() {
        if (pendingImages.get() <= settings.maxPendingImages()) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Void> room = new CompletableFuture<>();
        synchronized (waitingForRoom) {
            waitingForRoom.add(room);
        }
        grantRoom();
        return room;
    }

    private void release(int images) {
        pendingImages.addAndGet(-images);
        grantRoom();
    }

    private void grantRoom() {
        List<CompletableFuture<Void>> granted = new ArrayList<>();
        synchronized (waitingForRoom) {
            while (!waitingForRoom.isEmpty() && (pendingImages.get() <= settings.maxPendingImages() || stopping)) {
                granted.add(waitingForRoom.poll());
            }
        }
        granted.forEach(f -> f.complete(null));
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
            finish(job, GenerationWorker.expired(job.request()));
        }

        @Override
        public void batchFailed(List<Job> jobs, RuntimeException failure) {
            LOG.errorf(failure, "Sampling a batch of %d request(s) failed", jobs.size());
            for (Job job : jobs) {
                if (job.markFailed()) {
                    batcher.discard(job);
                    finish(job, new Outcome.Failed(job.request(), ErrorCode.INTERNAL,
                            "sampling failed in the worker (" + failure.getClass().getSimpleName() + "); try again"));
                }
            }
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
