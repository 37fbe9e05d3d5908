package org.diffusionworker.messaging;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.smallrye.reactive.messaging.ce.OutgoingCloudEventMetadata;
import io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordMetadata;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.diffusionworker.worker.Outcome;
import org.diffusionworker.worker.RequestProgress;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.Metadata;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;

/**
 * Writes the events as CloudEvents in binary mode (ce_* headers, JSON data, key = request id). STARTED and PROGRESS
 * and dead letters are sent here, on their own producers; a terminal event is made here and sent by the
 * {@link AnswerCommitter} in the transaction that commits its request's offset.
 *
 * <p>Every event carries the trace context it is given ({@link RequestTracing}) twice: as the W3C {@code traceparent}
 * (and {@code tracestate}) Kafka headers, and as the CloudEvents distributed tracing extension ({@code ce_traceparent},
 * {@code ce_tracestate} in binary mode). Written here, explicitly: the channels' own tracing is off.
 */
@ApplicationScoped
class EventPublisher {

    static final String COMPLETED_TYPE = "org.diffusionworker.generation.completed";
    static final String FAILED_TYPE = "org.diffusionworker.generation.failed";
    static final String CANCELED_TYPE = "org.diffusionworker.generation.canceled";
    static final String STARTED_TYPE = "org.diffusionworker.generation.started";
    static final String PROGRESS_TYPE = "org.diffusionworker.generation.progress";
    static final String EVENTS_CHANNEL = "generation-events";
    static final String DEAD_LETTER_CHANNEL = "generation-dead-letters";

    // Header names as SmallRye's own dead-letter-queue strategy writes them.
    static final String DLQ_REASON = "dead-letter-reason";
    static final String DLQ_TOPIC = "dead-letter-topic";
    static final String DLQ_PARTITION = "dead-letter-partition";
    static final String DLQ_OFFSET = "dead-letter-offset";

    @Inject
    @Channel(EVENTS_CHANNEL)
    @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = 4096)
    Emitter<String> events;

    @Inject
    @Channel(DEAD_LETTER_CHANNEL)
    @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = 1024)
    Emitter<byte[]> deadLetters;

    @Inject
    WorkerConnection connection;

    @Inject
    ObjectMapper json;

    private final Object idle = new Object();
    private int pending;

    /**
     * The terminal event of {@code outcome}, answering the record at {@code origin} (named in FAILED events), as a
     * message for the {@link AnswerCommitter}'s transaction: nothing is sent here.
     */
    Message<byte[]> answer(Outcome outcome, RecordOrigin origin, Map<String, String> traceHeaders) {
        Instant now = Instant.now();
        String data = new EventEncoder(json).encode(outcome, origin, now);
        String id = outcome.requestId();
        // A redelivered request's COMPLETED or CANCELED event gets the same id, so CloudEvents consumers can dedupe it.
        String eventId;
        if (outcome instanceof Outcome.Completed) {
            eventId = id + ":completed";
        } else if (outcome instanceof Outcome.Canceled) {
            eventId = id + ":canceled";
        } else {
            eventId = UUID.randomUUID().toString();
        }
        return Message.of(data.getBytes(StandardCharsets.UTF_8), metadata(id, typeOf(outcome), eventId, now,
                traceHeaders));
    }

    /** The CloudEvents type of {@code outcome}'s event. */
    static String typeOf(Outcome outcome) {
        if (outcome instanceof Outcome.Completed) {
            return COMPLETED_TYPE;
        }
        return outcome instanceof Outcome.Canceled ? CANCELED_TYPE : FAILED_TYPE;
    }

    /** STARTED: best effort; the stage completes when Kafka acknowledged it (nothing but the answer waits for it). */
    CompletionStage<Void> publish(RequestProgress.Started started, Map<String, String> traceHeaders) {
        String id = started.request().requestId();
        return send(events, new EventEncoder(json).encode(started), metadata(id, STARTED_TYPE, id + ":started",
                Instant.now(), traceHeaders));
    }

    /** PROGRESS: best effort, as STARTED. */
    CompletionStage<Void> publish(RequestProgress.Step step, Map<String, String> traceHeaders) {
        String id = step.request().requestId();
        return send(events, new EventEncoder(json).encode(step), metadata(id, PROGRESS_TYPE,
                id + ":progress:" + step.step(), Instant.now(), traceHeaders));
    }

    private Metadata metadata(String requestId, String type, String eventId, Instant now,
            Map<String, String> traceHeaders) {
        var cloudEvent = OutgoingCloudEventMetadata.<String>builder()
                .withId(eventId)
                .withSource(connection.settings().eventSource())
                .withType(type)
                .withSubject(requestId)
                .withDataContentType("application/json")
                .withTimestamp(now.atZone(ZoneOffset.UTC));
        var record = OutgoingKafkaRecordMetadata.<String>builder().withKey(requestId);
        traceHeaders.forEach((name, value) -> {
            record.addHeaders(new RecordHeader(name, value.getBytes(StandardCharsets.UTF_8)));
            if (name.equals(RequestTracing.TRACEPARENT) || name.equals(RequestTracing.TRACESTATE)) {
                // CloudEvents distributed tracing extension: ce_traceparent / ce_tracestate in binary mode.
                cloudEvent.withExtension(name, value);
            }
        });
        return Metadata.of(record.build(), cloudEvent.build());
    }

    /**
     * Copies an undecodable request record to the dead-letter topic with the reason in headers, and the trace of its
     * handling ({@code traceHeaders}).
     */
    CompletionStage<Void> deadLetter(byte[] payload, String key, String reason,
            IncomingKafkaRecordMetadata<?, ?> origin, Map<String, String> traceHeaders) {
        OutgoingKafkaRecordMetadata.OutgoingKafkaRecordMetadataBuilder<String> record =
                OutgoingKafkaRecordMetadata.<String>builder().withKey(key)
                        .addHeaders(new RecordHeader(DLQ_REASON, reason.getBytes(StandardCharsets.UTF_8)));
        traceHeaders.forEach((name, value) ->
                record.addHeaders(new RecordHeader(name, value.getBytes(StandardCharsets.UTF_8))));
        if (origin != null) {
            record.addHeaders(new RecordHeader(DLQ_TOPIC, origin.getTopic().getBytes(StandardCharsets.UTF_8)),
                    new RecordHeader(DLQ_PARTITION, Integer.toString(origin.getPartition()).getBytes(StandardCharsets.UTF_8)),
                    new RecordHeader(DLQ_OFFSET, Long.toString(origin.getOffset()).getBytes(StandardCharsets.UTF_8)));
        }
        return send(deadLetters, payload == null ? new byte[0] : payload, Metadata.of(record.build()));
    }

    /** Waits until every send so far has been acknowledged or refused; false when {@code timeout} ran out first. */
    boolean awaitIdle(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (idle) {
            while (pending > 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(idle, left);
            }
            return true;
        }
    }

    private <T> CompletionStage<Void> send(Emitter<T> emitter, T payload, Metadata metadata) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        synchronized (idle) {
            pending++;
        }
        done.whenComplete((ok, failure) -> {
            synchronized (idle) {
                pending--;
                idle.notifyAll();
            }
        });
        Message<T> message = Message.of(payload, metadata, () -> {
            done.complete(null);
            return CompletableFuture.completedFuture(null);
        }, failure -> {
            done.completeExceptionally(failure);
            return CompletableFuture.completedFuture(null);
        });
        try {
            emitter.send(message);
        } catch (RuntimeException e) {
            done.completeExceptionally(e);
        }
        return done;
    }
}
