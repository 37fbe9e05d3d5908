package org.diffusionworker.worker;

import java.time.Instant;

/** What a producer is told before the terminal event, when its request asked for it (request field {@code events}). */
public final class RequestProgress {

    private RequestProgress() {}

    /**
     * The request's first image entered a forward pass.
     *
     * @param queuedMs      from receipt (or the producer's timestamp) to this moment
     * @param batchImages   images in that first batch (all requests)
     * @param batchRequests requests sharing it
     */
    public record Started(GenerationRequest request, long queuedMs, int batchImages, int batchRequests,
            Instant startedAt) {}

    /**
     * Denoising steps done for the request: for a request sampled in one batch the batch's step; for one split over
     * several batches its images' steps averaged (rounded down), so it never runs ahead of the slowest half.
     *
     * @param step  steps done, strictly increasing from one event to the next
     * @param steps the request's total
     * @param etaMs the remaining steps at the pace of the last one (an estimate)
     */
    public record Step(GenerationRequest request, int step, int steps, long etaMs) {}
}
