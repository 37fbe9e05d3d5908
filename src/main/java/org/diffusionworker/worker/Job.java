package org.diffusionworker.worker;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import org.diffusionworker.diffusion.ClassifierFreeGuidance;
import org.diffusionworker.diffusion.SamplerSettings;
import org.diffusionworker.generation.GeneratedImages;
import org.diffusionworker.imaging.ImageBatch;

/**
 * A request inside the worker: its resolved parameters and, as its batches finish, its images reassembled in request
 * order. Slices of one job may be sampled by different replicas, so assembly is synchronized.
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
    private final Consumer<Outcome> callback;
    /** Later deliveries of the same request id and parameters, answered with this job's outcome. */
    private final List<Follower> followers = new ArrayList<>();

    private float[] pixels;
    private List<float[]> frames;
    private int sampled;
    private int channels;
    private int height;
    private int width;
    private long firstBatchStartNanos = -1;
    private long lastBatchEndNanos = -1;
    private final List<Outcome.BatchShare> batches = new ArrayList<>();
    private boolean failed;
    private int samplingFailures;

    record Follower(GenerationRequest request, long receivedNanos, Consumer<Outcome> callback) {}

    Job(GenerationRequest request, Outcome.EffectiveParameters parameters, float[] context, String contextKey,
            String fingerprint, long receivedNanos, long deadlineNanos, Consumer<Outcome> callback) {
        this.request = request;
        this.parameters = parameters;
        this.guidance = new ClassifierFreeGuidance(parameters.guidance());
        this.context = context;
        this.contextKey = contextKey;
        this.fingerprint = fingerprint;
        this.receivedNanos = receivedNanos;
        this.deadlineNanos = deadlineNanos;
        this.callback = Objects.requireNonNull(callback, "callback");
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

    Consumer<Outcome> callback() {
        return callback;
    }

    boolean isExpired(long nowNanos) {
        return nowNanos - deadlineNanos >= 0;
    }

    /** Called with the worker's in-flight lock held. */
    void addFollower(Follower follower) {
        followers.add(follower);
    }

    /** Called with the worker's in-flight lock held. */
    List<Follower> followers() {
        return List.copyOf(followers);
    }

    synchronized void batchStarted(long nowNanos) {
        if (firstBatchStartNanos < 0) {
            firstBatchStartNanos = nowNanos;
        }
    }

    /**
     * Takes images {@code [from, to)} of this request out of a finished batch, where they sit from {@code offset}.
     *
     * @return true when this completed the request's images
     */
    synchronized boolean accept(int from, int to, GeneratedImages batch, int offset, Outcome.BatchShare share,
            long batchEndNanos) {
        if (failed) {
            return false;
        }
        int per = batch.valuesPerImage();
        if (pixels == null) {
            channels = batch.channels();
            height = batch.height();
            width = batch.width();
            pixels = new float[count() * per];
            frames = new ArrayList<>();
        }
        System.arraycopy(batch.pixels(), offset * per, pixels, from * per, (to - from) * per);
        if (parameters.trajectory()) {
            for (int f = 0; f < batch.trajectory().size(); f++) {
                if (frames.size() <= f) {
                    frames.add(new float[count() * per]);
                }
                System.arraycopy(batch.trajectory().get(f), offset * per, frames.get(f), from * per, (to - from) * per);
            }
        }
        batches.add(share);
        lastBatchEndNanos = Math.max(lastBatchEndNanos, batchEndNanos);
        sampled += to - from;
        return sampled == count();
    }

    /** Counts a failed batch that held some of this job's images; returns the count so far. */
    synchronized int samplingFailed() {
        return ++samplingFailures;
    }

    /** Marks the job failed so that slices still in flight are dropped; true the first time. */
    synchronized boolean markFailed() {
        boolean first = !failed;
        failed = true;
        return first;
    }

    synchronized boolean isFailed() {
        return failed;
    }

    synchronized ImageBatch images() {
        return new ImageBatch(count(), channels, height, width, pixels);
    }

    synchronized List<ImageBatch> trajectory() {
        List<ImageBatch> result = new ArrayList<>(frames.size());
        for (float[] frame : frames) {
            result.add(new ImageBatch(count(), channels, height, width, frame));
        }
        return result;
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
        return "Job[" + request.requestId() + ", " + count() + " image(s)]";
    }
}
