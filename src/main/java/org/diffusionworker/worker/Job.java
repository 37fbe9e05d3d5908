package org.diffusionworker.worker;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Context;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.diffusionworker.diffusion.ClassifierFreeGuidance;
import org.diffusionworker.diffusion.SamplerSettings;
import org.diffusionworker.generation.GeneratedImages;
import org.diffusionworker.imaging.ImageBatch;

/**
 * One delivery of a request inside the worker: its resolved parameters, its {@link RequestState}, its images
 * reassembled in request order as its batches finish, and the two hand-offs of the pipeline: {@link #sampled()}
 * (completed by the replicas when the last image is sampled) and {@link #outcome()} (completed once, by whichever
 * stage ends the request first). Slices of one job may be sampled by different replicas, so everything is
 * synchronized on the job; so are the observer's calls, which keeps its events in order.
 *
 * <p>Its trace: the OpenTelemetry context current when it is made (on the thread that submits the request), the parent
 * of every span of its stages ({@link StageSpans}).
 */
final class Job {

    private final GenerationRequest request;
    private final Outcome.EffectiveParameters parameters;
    private final ClassifierFreeGuidance guidance;
    private final float[] context;
    private final String contextKey;
    private final String fingerprint;
    private final long receivedNanos;
    private final long deadlineNanos;
    private final RequestObserver observer;
    private final long progressIntervalNanos;
    private final CompletableFuture<Void> sampled = new CompletableFuture<>();
    private final CompletableFuture<Outcome> outcome = new CompletableFuture<>();
    /** Later deliveries of the same request id and parameters, answered with this job's outcome. */
    private final List<Follower> followers = new ArrayList<>();
    private final Context trace = Context.current();
    /** Open from entering the batcher until the first batch with its images starts (or it ends first). */
    private Span queued;

    private RequestState state = RequestState.LOOKING_UP;
    /** Where a cancel that must wait for the look-up came (null: none did). */
    private Outcome.CancelPoint cancelRequested;
    private final AssembledImages images;
    private long firstBatchStartNanos = -1;
    private long lastBatchEndNanos = -1;
    private final List<Outcome.BatchShare> batches = new ArrayList<>();
    private int samplingFailures;
    private long imageStepsDone;
    private int stepReported;
    private long progressReportedNanos;

    record Follower(GenerationRequest request, long receivedNanos, RequestObserver observer) {}

    Job(GenerationRequest request, Outcome.EffectiveParameters parameters, float[] context, String contextKey,
            String fingerprint, long receivedNanos, long deadlineNanos, RequestObserver observer,
            long progressIntervalNanos) {
        this.request = request;
        this.parameters = parameters;
        this.guidance = new ClassifierFreeGuidance(parameters.guidance());
        this.context = context;
        this.contextKey = contextKey;
        this.fingerprint = fingerprint;
        this.receivedNanos = receivedNanos;
        this.deadlineNanos = deadlineNanos;
        this.observer = Objects.requireNonNull(observer, "observer");
        this.progressIntervalNanos = progressIntervalNanos;
        this.images = new AssembledImages(parameters.count(), parameters.trajectory());
    }

    GenerationRequest request() {
        return request;
    }

    String requestId() {
        return request.requestId();
    }

    Outcome.EffectiveParameters parameters() {
        return parameters;
    }

    SamplerSettings sampler() {
        return parameters.sampler();
    }

    ClassifierFreeGuidance guidance() {
        return guidance;
    }

    float[] context() {
        return context;
    }

    String contextKey() {
        return contextKey;
    }

    String fingerprint() {
        return fingerprint;
    }

    int count() {
        return parameters.count();
    }

    long seed() {
        return parameters.seed();
    }

    long receivedNanos() {
        return receivedNanos;
    }

    RequestObserver observer() {
        return observer;
    }

    /** The context its spans are children of. */
    Context trace() {
        return trace;
    }

    /** Its {@code queued} span, open until its first batch starts or it ends (at once when it ended meanwhile). */
    synchronized void queuedSince(Span span) {
        queued = span;
        if (state.isTerminal()) {
            endQueued("request ended while queued");
        }
    }

    private synchronized void endQueued(String why) {
        if (queued != null) {
            if (why != null) {
                queued.addEvent(why);
            }
            queued.end();
            queued = null;
        }
    }

    boolean isExpired(long nowNanos) {
        return nowNanos - deadlineNanos >= 0;
    }

    /** Completes when every image is sampled; fails when sampling gives up on the request. */
    CompletableFuture<Void> sampled() {
        return sampled;
    }

    /** Completes once, with the request's answer (or {@link Abandoned} when the worker stopped first). */
    CompletableFuture<Outcome> outcome() {
        return outcome;
    }

    // -- the state machine -------------------------------------------------------------------------------------------

    synchronized RequestState state() {
        return state;
    }

    /** Moves to {@code next} if that is a transition {@link RequestState} allows from here; false otherwise. */
    synchronized boolean moveTo(RequestState next) {
        if (!state.canMoveTo(next)) {
            return false;
        }
        state = next;
        return true;
    }

    /** Whether the request has ended (answered or abandoned): slices still in flight are then dropped. */
    synchronized boolean isEnded() {
        return state.isTerminal();
    }

    /**
     * Ends the request with {@code result} unless it already ended: the one place a terminal state is entered. The
     * observer's intermediate events are sent under the same lock, so none can follow the answer.
     */
    boolean end(Outcome result) {
        RequestState terminal = result instanceof Outcome.Completed ? RequestState.COMPLETED
                : result instanceof Outcome.Canceled ? RequestState.CANCELED : RequestState.FAILED;
        synchronized (this) {
            if (!moveTo(terminal)) {
                return false;
            }
        }
        endQueued("request ended while queued");
        sampled.completeExceptionally(new Ended());
        return outcome.complete(result);
    }

    /** Drops the request unanswered (the worker is stopping); true when this ended it. */
    boolean abandon() {
        synchronized (this) {
            if (!moveTo(RequestState.ABANDONED)) {
                return false;
            }
        }
        endQueued("request dropped unanswered");
        sampled.completeExceptionally(new Ended());
        outcome.completeExceptionally(new Abandoned());
        return true;
    }

    /**
     * A cancel for this request: ends it CANCELED at once when queued or running; while its look-up runs, remembers
     * it for {@link #cancelRequested()} (an existing result still wins, as for any completed request).
     *
     * @return true when the cancel took effect or will, false when it came too late (storing or ended)
     */
    boolean cancel() {
        Outcome.Canceled canceled;
        synchronized (this) {
            if (!state.isCancelable()) {
                return false;
            }
            switch (state) {
                case LOOKING_UP -> {
                    if (cancelRequested == null) {
                        cancelRequested = Outcome.CancelPoint.QUEUED;
                    }
                    return true;
                }
                case QUEUED -> canceled = new Outcome.Canceled(request, Outcome.CancelPoint.QUEUED, 0);
                default -> canceled = new Outcome.Canceled(request, Outcome.CancelPoint.RUNNING, stepsDone());
            }
        }
        return end(canceled);
    }

    /** Marks that a cancel for this id came before the request: it is answered CANCELED after its look-up. */
    synchronized void requestCancel() {
        cancelRequested = Outcome.CancelPoint.BEFORE_ARRIVAL;
    }

    /** Where a cancel waiting for the look-up came, or null when none did. */
    synchronized Outcome.CancelPoint cancelRequested() {
        return cancelRequested;
    }

    // -- followers ---------------------------------------------------------------------------------------------------

    /** Called with the worker's in-flight lock held. */
    void addFollower(Follower follower) {
        followers.add(follower);
    }

    /** Called with the worker's in-flight lock held. */
    List<Follower> followers() {
        return List.copyOf(followers);
    }

    // -- sampling ----------------------------------------------------------------------------------------------------

    /**
     * A batch holding some of this request's images starts: the first one moves it to RUNNING and tells the observer
     * STARTED when the request asked for it. False when the request ended meanwhile (its slice is then dropped).
     */
    boolean batchStarted(long nowNanos, int batchImages, int batchRequests) {
        synchronized (this) {
            if (state.isTerminal()) {
                return false;
            }
            if (firstBatchStartNanos < 0) {
                firstBatchStartNanos = nowNanos;
                endQueued(null);
            }
            if (state != RequestState.QUEUED || !moveTo(RequestState.RUNNING)) {
                return true;
            }
            if (request.delivery().events().contains(RequestEvent.STARTED)) {
                observer.started(new RequestProgress.Started(request, Answers.endToEndMs(request, receivedNanos),
                        batchImages, batchRequests, java.time.Instant.now()));
            }
            return true;
        }
    }

    /**
     * One denoising step of a batch that holds {@code ownImages} of this request, which took {@code stepNanos}: tells
     * the observer PROGRESS when the request asked for it, at most once per interval and only when the step count
     * went up.
     */
    void stepDone(int ownImages, long stepNanos, long nowNanos) {
        synchronized (this) {
            if (state != RequestState.RUNNING) {
                return;
            }
            imageStepsDone += ownImages;
            if (!request.delivery().events().contains(RequestEvent.PROGRESS)) {
                return;
            }
            int step = stepsDone();
            boolean due = stepReported == 0 && progressReportedNanos == 0
                    || nowNanos - progressReportedNanos >= progressIntervalNanos;
            if (!due || step <= stepReported) {
                return;
            }
            int steps = sampler().steps();
            long remainingImageSteps = (long) steps * count() - imageStepsDone;
            long etaNanos = Math.max(0, remainingImageSteps) * stepNanos / Math.max(1, ownImages);
            stepReported = step;
            progressReportedNanos = nowNanos;
            observer.progress(new RequestProgress.Step(request, step, steps, TimeUnit.NANOSECONDS.toMillis(etaNanos)));
        }
    }

    /** Steps done for the request: its images' steps averaged, rounded down, at most its total. */
    private int stepsDone() {
        return (int) Math.min(sampler().steps(), imageStepsDone / count());
    }

    /**
     * Takes images {@code [from, to)} of this request out of a finished batch, where they sit from {@code offset}.
     * The last one moves the request to STORING and completes {@link #sampled()}.
     */
    void accept(int from, int to, GeneratedImages batch, int offset, Outcome.BatchShare share, long batchEndNanos) {
        synchronized (this) {
            if (state != RequestState.RUNNING) {
                return;
            }
            int sampledImages = images.put(from, to, batch, offset);
            batches.add(share);
            lastBatchEndNanos = Math.max(lastBatchEndNanos, batchEndNanos);
            if (sampledImages < count() || !moveTo(RequestState.STORING)) {
                return;
            }
        }
        sampled.complete(null);
    }

    /** Counts a failed batch that held some of this job's images; returns the count so far. */
    synchronized int samplingFailed(int ownImages, int stepsIntoBatch) {
        // Those steps are sampled again: progress must not count them twice.
        imageStepsDone = Math.max(0, imageStepsDone - (long) ownImages * stepsIntoBatch);
        return ++samplingFailures;
    }

    synchronized ImageBatch images() {
        return images.images();
    }

    synchronized List<ImageBatch> trajectory() {
        return images.trajectory();
    }

    synchronized List<Outcome.BatchShare> batches() {
        return List.copyOf(batches);
    }

    synchronized long queuedNanos() {
        return firstBatchStartNanos < 0 ? 0 : firstBatchStartNanos - receivedNanos;
    }

    synchronized long samplingNanos() {
        return firstBatchStartNanos < 0 ? 0 : lastBatchEndNanos - firstBatchStartNanos;
    }

    @Override
    public String toString() {
        return "Job[" + request.requestId() + ", " + count() + " image(s), " + state() + "]";
    }

    /** The request ended before this stage: nothing more to do for it. */
    static final class Ended extends RuntimeException {
        Ended() {
            super("the request already ended", null, false, false);
        }
    }

    /** The worker stopped before answering: the request stays unanswered and its record uncommitted. */
    static final class Abandoned extends RuntimeException {
        Abandoned() {
            super("the worker stopped before answering", null, false, false);
        }
    }
}
