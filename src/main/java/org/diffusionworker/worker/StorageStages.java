package org.diffusionworker.worker;

import io.opentelemetry.api.trace.Span;
import java.lang.System.Logger.Level;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The stages of a request that deal with the store: <b>look up</b> an existing result under its key (before sampling),
 * <b>encode</b> its images (PNG grid, single PNGs, GIF; on the I/O threads) and <b>store</b> them, which makes the
 * request's answer. Each through the {@link StorageGuard}, each a span.
 */
record StorageStages(ResultStore results, StorageGuard storage, StageSpans spans, WorkerListener listener,
        LongSupplier clock) {

    private static final System.Logger LOG = System.getLogger(StorageStages.class.getName());

    /** The request's existing result, if there is one: then that is its answer. */
    CompletableFuture<Optional<Outcome>> lookUp(Job job) {
        Span span = spans.start(StageSpans.LOOK_UP, job);
        return storage.call(job, () -> results.lookup(job))
                .whenComplete((existing, failure) -> {
                    if (existing != null) {
                        span.setAttribute(StageSpans.FOUND, existing.isPresent());
                    }
                    StageSpans.end(span, failure);
                })
                .thenApply(existing -> existing.map(found -> results.fromExisting(job.request(), job, found,
                        Answers.endToEndMs(job.request(), job.receivedNanos()))));
    }

    ResultStore.Encoded encode(Job job) {
        Span span = spans.start(StageSpans.ENCODE, job)
                .setAttribute(StageSpans.LAYOUT, job.request().delivery().layout().id());
        try {
            ResultStore.Encoded encoded = results.encode(job);
            StageSpans.end(span, null);
            return encoded;
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, String.format("Encoding the grid of %s failed", job.requestId()), e);
            StageFailure failure = new StageFailure(ErrorCode.INTERNAL, "encoding the images failed in the worker");
            span.recordException(e);
            StageSpans.end(span, failure);
            throw failure;
        }
    }

    CompletableFuture<Outcome> store(Job job, ResultStore.Encoded encoded) {
        long start = clock.getAsLong();
        Span upload = spans.start(StageSpans.UPLOAD, job)
                .setAttribute(StageSpans.LAYOUT, job.request().delivery().layout().id());
        return storage.call(job, () -> results.store(job, encoded))
                .whenComplete((stored, failure) -> StageSpans.end(upload, failure))
                .thenApply(stored -> {
                    long uploadNanos = clock.getAsLong() - start;
                    listener.uploaded(uploadNanos);
                    Outcome.Timings timings = new Outcome.Timings(TimeUnit.NANOSECONDS.toMillis(job.queuedNanos()),
                            TimeUnit.NANOSECONDS.toMillis(job.samplingNanos()),
                            TimeUnit.NANOSECONDS.toMillis(uploadNanos),
                            Answers.endToEndMs(job.request(), job.receivedNanos()));
                    return new Outcome.Completed(job.request(), job.parameters(), stored.grid(), stored.images(),
                            stored.trajectory(), results.model(), timings, job.batches(), false);
                });
    }
}
