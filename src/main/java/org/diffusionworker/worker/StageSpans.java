package org.diffusionworker.worker;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.TracerProvider;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletionException;

/**
 * The worker's spans, one per stage of a request (OpenTelemetry API only: whoever builds the worker decides whether
 * they are recorded and where they go). A request's spans are children of the context its {@link Job} was made in,
 * which the caller of {@link GenerationWorker#submit} sets (the Kafka adapter: the span of the request's record, itself
 * a child of the record's {@code traceparent}). A batch serves several requests, so its span starts a trace of its own
 * and links to each request in it; each request's share of the batch is a {@code sampling} span in the request's trace
 * that links back to the batch.
 */
final class StageSpans {

    static final String LOOK_UP = "look-up";
    static final String QUEUED = "queued";
    static final String BATCH = "batch";
    static final String SAMPLING = "sampling";
    static final String ENCODE = "encode";
    static final String UPLOAD = "upload";

    static final AttributeKey<String> REQUEST_ID = AttributeKey.stringKey("diffusion.request.id");
    static final AttributeKey<Long> IMAGES = AttributeKey.longKey("diffusion.images");
    static final AttributeKey<Long> BATCH_IMAGES = AttributeKey.longKey("diffusion.batch.images");
    static final AttributeKey<Long> BATCH_REQUESTS = AttributeKey.longKey("diffusion.batch.requests");
    static final AttributeKey<String> SAMPLER = AttributeKey.stringKey("diffusion.sampler");
    static final AttributeKey<Long> STEPS = AttributeKey.longKey("diffusion.steps");
    static final AttributeKey<Long> REPLICA = AttributeKey.longKey("diffusion.replica");
    static final AttributeKey<String> LAYOUT = AttributeKey.stringKey("diffusion.layout");
    static final AttributeKey<Boolean> FOUND = AttributeKey.booleanKey("diffusion.result.found");
    static final AttributeKey<Boolean> LEFT = AttributeKey.booleanKey("diffusion.left");
    static final AttributeKey<String> ERROR_CODE = AttributeKey.stringKey("diffusion.error.code");

    /** No spans at all (the worker without tracing, as in the tests that do not look at traces). */
    static final StageSpans NONE = new StageSpans(TracerProvider.noop().get("none"));

    private final Tracer tracer;

    StageSpans(Tracer tracer) {
        this.tracer = Objects.requireNonNull(tracer, "tracer");
    }

    /** A span of {@code job}'s trace, started now. */
    Span start(String name, Job job) {
        return tracer.spanBuilder(name).setParent(job.trace()).setAttribute(REQUEST_ID, job.requestId()).startSpan();
    }

    /**
     * The span of one forward-pass batch: a trace of its own, linked to the trace of every request with images in it
     * (a batch has no single parent).
     */
    Span batch(Batch batch, List<Batch.Slice> slices, int images, int requests, int replica) {
        SpanBuilder builder = tracer.spanBuilder(BATCH).setNoParent()
                .setAttribute(BATCH_IMAGES, (long) images)
                .setAttribute(BATCH_REQUESTS, (long) requests)
                .setAttribute(SAMPLER, ResultStore.samplerId(batch.key().sampler()))
                .setAttribute(STEPS, (long) batch.key().sampler().steps())
                .setAttribute(REPLICA, (long) replica);
        slices.stream().map(Batch.Slice::job).distinct().forEach(job -> {
            SpanContext request = Span.fromContext(job.trace()).getSpanContext();
            if (request.isValid()) {
                builder.addLink(request, io.opentelemetry.api.common.Attributes.of(REQUEST_ID, job.requestId()));
            }
        });
        return builder.startSpan();
    }

    /** {@code slice}'s share of the batch {@code batchSpan}: a span of its request's trace, linked to the batch. */
    Span sampling(Batch.Slice slice, Span batchSpan, int images, int requests) {
        SpanBuilder builder = tracer.spanBuilder(SAMPLING).setParent(slice.job().trace())
                .setAttribute(REQUEST_ID, slice.job().requestId())
                .setAttribute(IMAGES, (long) slice.size())
                .setAttribute(BATCH_IMAGES, (long) images)
                .setAttribute(BATCH_REQUESTS, (long) requests);
        if (batchSpan.getSpanContext().isValid()) {
            builder.addLink(batchSpan.getSpanContext());
        }
        return builder.startSpan();
    }

    /**
     * Ends {@code span} as a stage that ended with {@code failure} (null: it succeeded). A request that ended elsewhere
     * (canceled, failed in another slice) or was dropped is not this stage's error: it only says so.
     */
    static void end(Span span, Throwable failure) {
        if (failure != null) {
            Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                    ? failure.getCause() : failure;
            if (cause instanceof Job.Ended) {
                span.addEvent("request ended meanwhile");
            } else if (cause instanceof Job.Abandoned) {
                span.addEvent("request dropped unanswered");
            } else if (cause instanceof StageFailure f) {
                span.setAttribute(ERROR_CODE, f.code().name());
                span.setStatus(StatusCode.ERROR, f.getMessage());
            } else {
                span.recordException(cause);
                span.setStatus(StatusCode.ERROR, cause.getClass().getSimpleName());
            }
        }
        span.end();
    }
}
