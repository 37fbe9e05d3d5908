package org.diffusionworker.messaging;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.StreamSupport;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.diffusionworker.worker.ErrorCode;
import org.diffusionworker.worker.Outcome;

/**
 * One trace per request record. The record's W3C {@code traceparent} (and {@code tracestate}, {@code baggage}) headers
 * are continued: the request's span ({@code process <requests topic>}, kind CONSUMER) is their child, or the root of a
 * new trace when the record has none. The worker's stage spans are children of the request's span; each terminal event
 * has a {@code publish <events topic>} span (kind PRODUCER) from the moment it is made until the transaction that
 * carries it commits, and carries that span's context in its headers. STARTED and PROGRESS events carry the request
 * span's context.
 *
 * <p>Why by hand and not SmallRye's Kafka tracing: an answer is sent later, by another thread, in a transaction with
 * other requests' answers; SmallRye would take the context current on that thread, and its consumer span ends the
 * moment the record is handed over. So the channels have {@code tracing-enabled=false} and the headers are written
 * here, from the request's own context, with the propagators Quarkus configured ({@code quarkus.otel.propagators}).
 */
@ApplicationScoped
class RequestTracing {

    private static final System.Logger LOG = System.getLogger(RequestTracing.class.getName());

    /** W3C Trace Context header names, also the names of the CloudEvents distributed tracing extension. */
    static final String TRACEPARENT = "traceparent";
    static final String TRACESTATE = "tracestate";
    static final String INSTRUMENTATION = "org.diffusionworker.messaging";

    static final AttributeKey<String> MESSAGING_SYSTEM = AttributeKey.stringKey("messaging.system");
    static final AttributeKey<String> OPERATION_NAME = AttributeKey.stringKey("messaging.operation.name");
    static final AttributeKey<String> OPERATION_TYPE = AttributeKey.stringKey("messaging.operation.type");
    static final AttributeKey<String> DESTINATION = AttributeKey.stringKey("messaging.destination.name");
    static final AttributeKey<String> PARTITION = AttributeKey.stringKey("messaging.destination.partition.id");
    static final AttributeKey<Long> OFFSET = AttributeKey.longKey("messaging.kafka.offset");
    static final AttributeKey<String> MESSAGE_KEY = AttributeKey.stringKey("messaging.kafka.message.key");
    static final AttributeKey<String> EVENT_TYPE = AttributeKey.stringKey("cloudevents.event_type");
    static final AttributeKey<String> REQUEST_ID = AttributeKey.stringKey("diffusion.request.id");
    static final AttributeKey<String> OUTCOME = AttributeKey.stringKey("diffusion.outcome");
    static final AttributeKey<String> ERROR_CODE = AttributeKey.stringKey("diffusion.error.code");

    /** The trace of one request record: its span, and the context the worker's spans are made in. */
    record Trace(Context context, Span span) {
        /** No trace: nothing recorded, no headers written. */
        static final Trace NONE = new Trace(Context.root(), Span.getInvalid());
    }

    @Inject
    OpenTelemetry openTelemetry;

    @Inject
    WorkerConnection connection;

    private volatile Tracer tracer;

    private Tracer tracer() {
        Tracer t = tracer;
        if (t == null) {
            t = openTelemetry.getTracer(INSTRUMENTATION);
            tracer = t;
        }
        return t;
    }

    private TextMapPropagator propagator() {
        return openTelemetry.getPropagators().getTextMapPropagator();
    }

    /**
     * Starts the span of the request record {@code record} (null: a message without Kafka metadata), a child of the
     * context in its headers. Never throws: a trace that cannot be made is {@link Trace#NONE}.
     */
    Trace received(IncomingKafkaRecordMetadata<?, ?> record) {
        try {
            Context parent = record == null ? Context.root()
                    : propagator().extract(Context.root(), record.getHeaders(), HEADERS);
            String topic = record == null ? "(unknown)" : record.getTopic();
            Span span = tracer().spanBuilder("process " + topic).setParent(parent).setSpanKind(SpanKind.CONSUMER)
                    .setAttribute(MESSAGING_SYSTEM, "kafka")
                    .setAttribute(OPERATION_NAME, "process")
                    .setAttribute(OPERATION_TYPE, "process")
                    .setAttribute(DESTINATION, topic)
                    .startSpan();
            if (record != null) {
                span.setAttribute(PARTITION, Integer.toString(record.getPartition()));
                span.setAttribute(OFFSET, record.getOffset());
                if (record.getKey() != null) {
                    span.setAttribute(MESSAGE_KEY, RecordOrigin.printable(record.getKey().toString()));
                }
            }
            return new Trace(parent.with(span), span);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "Could not start the trace of a request record; it is handled without one", e);
            return Trace.NONE;
        }
    }

    /** Names the request of {@code trace} once its record was read. */
    void identify(Trace trace, String requestId) {
        if (requestId != null) {
            trace.span().setAttribute(REQUEST_ID, requestId);
        }
    }

    /** The record was not taken here (its partition left, or it is already held): its span ends at once. */
    void skipped(Trace trace) {
        trace.span().addEvent("skipped: not held here");
        trace.span().end();
    }

    /** The headers that carry {@code context}: {@code traceparent}, and {@code tracestate}, {@code baggage} if any. */
    Map<String, String> headers(Context context) {
        Map<String, String> headers = new LinkedHashMap<>();
        if (Span.fromContext(context).getSpanContext().isValid()) {
            propagator().inject(context, headers, (carrier, key, value) -> carrier.put(key, value));
        }
        return headers;
    }

    /** The headers of the request's intermediate events (STARTED, PROGRESS): its own span's context. */
    Map<String, String> headers(Trace trace) {
        return headers(trace.context());
    }

    /** Starts the span of publishing {@code outcome}'s event, a child of the request's span. */
    Span publishing(Trace trace, Outcome outcome) {
        MessagingSettings settings = connection.settings();
        String topic = settings == null ? "(unknown)" : settings.eventsTopic();
        Span span = tracer().spanBuilder("publish " + topic).setParent(trace.context())
                .setSpanKind(SpanKind.PRODUCER)
                .setAttribute(MESSAGING_SYSTEM, "kafka")
                .setAttribute(OPERATION_NAME, "publish")
                .setAttribute(OPERATION_TYPE, "send")
                .setAttribute(DESTINATION, topic)
                .setAttribute(EVENT_TYPE, EventPublisher.typeOf(outcome))
                .startSpan();
        if (outcome.requestId() != null) {
            span.setAttribute(REQUEST_ID, outcome.requestId());
            span.setAttribute(MESSAGE_KEY, outcome.requestId());
        }
        return span;
    }

    /**
     * The answer left: committed with its record's offset ({@code failure} null), or not (the partition went to
     * another worker, which answers it). Ends the publish span and the request's.
     */
    void answered(Trace trace, Span publish, Outcome outcome, Throwable failure) {
        if (failure != null) {
            publish.addEvent("not committed here: " + failure.getClass().getSimpleName());
        }
        publish.end();
        Span request = trace.span();
        request.setAttribute(OUTCOME, outcome.getClass().getSimpleName().toUpperCase(java.util.Locale.ROOT));
        if (outcome instanceof Outcome.Failed failed) {
            request.setAttribute(ERROR_CODE, failed.code().name());
            if (failed.code() == ErrorCode.INTERNAL || failed.code() == ErrorCode.STORAGE_UNAVAILABLE) {
                // The worker's fault, not the request's: the trace shows it as an error.
                request.setStatus(StatusCode.ERROR, failed.code().name());
            }
        }
        if (failure != null) {
            request.addEvent("answer not committed here; the partition's next owner answers");
        }
        request.end();
    }

    private static final TextMapGetter<Headers> HEADERS = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Headers carrier) {
            return StreamSupport.stream(carrier.spliterator(), false).map(Header::key).distinct().toList();
        }

        @Override
        public String get(Headers carrier, String key) {
            if (carrier == null) {
                return null;
            }
            Header header = carrier.lastHeader(key);
            return header == null || header.value() == null ? null
                    : new String(header.value(), StandardCharsets.UTF_8);
        }
    };
}
