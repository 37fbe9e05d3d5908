package org.diffusionworker.worker;

import java.lang.System.Logger.Level;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Hands an {@link Outcome} to its request's callback: tells the listener (metrics), logs one line per request and
 * shields the worker from a failing callback or listener.
 */
final class Answers {

    private static final System.Logger LOG = System.getLogger(Answers.class.getName());

    private final WorkerListener listener;
    private final LongSupplier clock;

    Answers(WorkerListener listener, LongSupplier clock) {
        this.listener = listener;
        this.clock = clock;
    }

    void deliver(Outcome outcome, RequestObserver observer, GenerationRequest request, long receivedNanos) {
        long e2eNanos = clock.getAsLong() - receivedNanos;
        try {
            listener.requestFinished(outcome, e2eNanos);
        } catch (RuntimeException e) {
            LOG.log(Level.DEBUG, "Worker listener failed", e);
        }
        log(outcome);
        try {
            observer.finished(outcome);
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, String.format("Answering request %s failed", request.requestId()), e);
        }
    }

    /** The answer for a copy of a request that waited on the first: the same result, its own timings. */
    static Outcome forFollower(Outcome outcome, Job.Follower follower) {
        long e2e = endToEndMs(follower.request(), follower.receivedNanos());
        if (outcome instanceof Outcome.Completed c) {
            return new Outcome.Completed(follower.request(), c.parameters(), c.grid(), c.images(), c.trajectory(),
                    c.model(), new Outcome.Timings(0, 0, 0, e2e), List.of(), true);
        }
        if (outcome instanceof Outcome.Canceled c) {
            return new Outcome.Canceled(follower.request(), c.canceledWhile(), c.stepsDone());
        }
        Outcome.Failed f = (Outcome.Failed) outcome;
        return new Outcome.Failed(follower.request(), f.code(), f.message());
    }

    static Outcome.Failed expired(GenerationRequest request) {
        return new Outcome.Failed(request, ErrorCode.EXPIRED, "the deadline " + request.deadline()
                + " passed before sampling started; send it again with a later deadline (or none)");
    }

    /** From the producer's submission time when the request carries one, else from its arrival here. */
    static long endToEndMs(GenerationRequest request, long receivedNanos) {
        if (request.submittedAt() != null) {
            return Math.max(0, -TimeUnit.NANOSECONDS.toMillis(RequestResolver.nanosFromNowTo(request.submittedAt())));
        }
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - receivedNanos);
    }

    private static void log(Outcome outcome) {
        if (outcome instanceof Outcome.Completed c) {
            int batchImages = c.batches().stream().mapToInt(Outcome.BatchShare::images).max().orElse(0);
            String where = c.grid().map(Outcome.StoredGrid::key).orElseGet(() -> c.images().get(0).key()
                    .replaceFirst("0\\.png$", "{0.." + (c.images().size() - 1) + "}.png"));
            LOG.log(Level.INFO, String.format(
                    "request %s COMPLETED%s: %d image(s) as %s, %s, key %s, %d batch(es) (largest %d images),"
                    + " queued %d ms, sampling %d ms, upload %d ms, end to end %d ms", c.requestId(),
                    c.deduplicated() ? " (existing result, not sampled again)" : "", c.parameters().count(),
                    c.parameters().layout().id(),
                    ResultStore.samplerId(c.parameters().sampler()) + "-" + c.parameters().sampler().steps(), where,
                    c.batches().size(), batchImages, c.timings().queuedMs(), c.timings().samplingMs(),
                    c.timings().uploadMs(), c.timings().endToEndMs()));
        } else if (outcome instanceof Outcome.Canceled c) {
            LOG.log(Level.INFO, String.format(
                    "request %s CANCELED while %s (%d step(s) done): nothing stored", c.requestId(),
                    c.canceledWhile().name().toLowerCase(java.util.Locale.ROOT).replace('_', ' '), c.stepsDone()));
        } else {
            Outcome.Failed f = (Outcome.Failed) outcome;
            String id = f.requestId() == null ? "(no id)" : f.requestId();
            if (f.code().isRequestFault()) {
                LOG.log(Level.INFO, String.format("request %s FAILED %s: %s", id, f.code(), f.message()));
            } else {
                LOG.log(Level.WARNING, String.format("request %s FAILED %s: %s", id, f.code(), f.message()));
            }
        }
    }
}
