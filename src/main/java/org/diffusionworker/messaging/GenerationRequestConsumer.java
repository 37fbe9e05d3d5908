package org.diffusionworker.messaging;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Scope;
import io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordMetadata;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.lang.System.Logger.Level;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.record.TimestampType;
import org.diffusionworker.worker.ErrorCode;
import org.diffusionworker.worker.GenerationWorker;
import org.diffusionworker.worker.Outcome;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;

/**
 * Consumes request records one at a time (never as a batch: in SmallRye a throw in a batch method nacks every record
 * of the batch). Each record is held in the {@link AnswerLedger} from the moment it is read; its answer (the terminal
 * event) is handed to the {@link AnswerCommitter}, which publishes it in the transaction that commits the record's
 * offset, in partition order. SmallRye commits nothing itself ({@code commit-strategy=ignore}).
 *
 * <p>The returned stage completes once the worker has room: while it is full, SmallRye stops requesting records, its
 * queue fills and it pauses the consumer's partitions until the worker drains; nothing is buffered without bound.
 *
 * <p>Each record's handling is one trace ({@link RequestTracing}): the request's span continues the record's
 * {@code traceparent}, the worker's spans are its children, and every event of the request carries its context.
 */
@ApplicationScoped
class GenerationRequestConsumer {

    private static final System.Logger LOG = System.getLogger(GenerationRequestConsumer.class.getName());
    /** Refusals whose events may be unacknowledged at once (the emitter buffers 4,096). */
    static final int ANSWERS_IN_FLIGHT = 256;
    /** The record header naming the tenant of a request that names none in its value. */
    static final String TENANT_HEADER = "tenant";

    @Inject
    WorkerConnection connection;

    @Inject
    EventPublisher publisher;

    @Inject
    AnswerCommitter committer;

    @Inject
    ObjectMapper json;

    @Inject
    RequestTracing tracing;

    @Inject
    MeterRegistry registry;

    private Counter alreadyAnswered;

    @PostConstruct
    void registerMetrics() {
        alreadyAnswered = Counter.builder("diffusion.requests.already.answered")
                .description("Request records read again and skipped: their partition's last commit lists them as"
                        + " answered (after a restart or a rebalance)")
                .register(registry);
    }

    private volatile RequestDecoder decoder;
    private final AnswerWindow answersInFlight = new AnswerWindow(ANSWERS_IN_FLIGHT);

    /** The decoder, made once the shell has opened the connection (before the channel hands over any record). */
    private RequestDecoder decoder() {
        RequestDecoder d = decoder;
        if (d == null) {
            MessagingSettings settings = connection.settings();
            if (settings == null) {
                throw new IllegalStateException("a request arrived before the worker connection was opened");
            }
            d = new RequestDecoder(json, settings.maxPayloadBytes());
            decoder = d;
        }
        return d;
    }

    @Incoming("generation-requests")
    CompletionStage<Void> consume(Message<byte[]> message) {
        @SuppressWarnings("unchecked")
        IncomingKafkaRecordMetadata<Object, byte[]> record =
                message.getMetadata(IncomingKafkaRecordMetadata.class).orElse(null);
        String key = null;
        RequestTracing.Trace trace = tracing.received(record);
        try {
            key = record != null && record.getKey() != null ? record.getKey().toString() : null;
            Instant submittedAt = record != null && record.getTimestampType() == TimestampType.CREATE_TIME
                    ? record.getTimestamp() : null;
            if (record == null) {
                throw new IllegalStateException("a request record came without its Kafka metadata");
            }
            DecodedRequest decoded = decoder().decode(message.getPayload(), key, submittedAt, tenantHeader(record));
            String heldId = decoded instanceof DecodedRequest.Valid v ? v.request().requestId()
                    : ((DecodedRequest.Refused) decoded).requestId();
            tracing.identify(trace, heldId);
            int bytes = message.getPayload() == null ? 0 : message.getPayload().length;
            AnswerLedger.Receipt receipt = committer.ledger().receive(partitionOf(record), record.getOffset(), heldId,
                    bytes);
            if (receipt != AnswerLedger.Receipt.HELD) {
                // Revoked after the consumer read it (its next owner answers it), read again after a reset, or
                // answered already (listed in the partition's last commit: a restart or a rebalance read it again).
                LOG.log(Level.DEBUG, () -> String.format("Record %s skipped: %s", RecordOrigin.of(record).describe(),
                        receipt == AnswerLedger.Receipt.ALREADY_ANSWERED ? "answered already"
                                : "its partition is not assigned here or it is already held"));
                tracing.skipped(trace);
                if (receipt == AnswerLedger.Receipt.ALREADY_ANSWERED) {
                    alreadyAnswered.increment();
                }
                return CompletableFuture.completedFuture(null);
            }
            if (decoded instanceof DecodedRequest.Refused refused) {
                return refuse(message, record, key, refused, trace);
            }
            DecodedRequest.Valid valid = (DecodedRequest.Valid) decoded;
            String id = valid.request().requestId();
            // The worker started before the channel connected; whenStarted() is complete by now. A failure in the
            // worker's admission is answered here; the stage SmallRye waits on never fails (that would stop it).
            RecordOrigin origin = RecordOrigin.of(record);
            return connection.whenStarted()
                    .thenCompose(worker -> admit(worker, message, origin, valid, trace))
                    .exceptionally(failure -> {
                        answerOurFault(message, record, id, failure, trace);
                        return null;
                    });
        } catch (RuntimeException | Error failure) {
            // Whatever this record did to us, it gets an event and is committed: it cannot stop the channel.
            return answerOurFault(message, record, key, failure, trace);
        }
    }

    private CompletionStage<Void> admit(GenerationWorker worker, Message<byte[]> message, RecordOrigin origin,
            DecodedRequest.Valid valid, RequestTracing.Trace trace) {
        PublishingObserver observer = new PublishingObserver(publisher, tracing.headers(trace),
                outcome -> answer(message, origin, outcome, trace).committed());
        GenerationWorker.Admission admission;
        // The worker's spans of this request are children of the request's span.
        try (Scope ignored = trace.context().makeCurrent()) {
            admission = worker.submit(valid.request(), observer);
        }
        if (!admission.accepted()) {
            LOG.log(Level.DEBUG, () -> String.format(
                    "Stopping: request %s left unacknowledged, to be redelivered", valid.request().requestId()));
        }
        // Taken while the worker has room for requests and the records held fit their bytes: both bound what waits.
        return admission.room().thenCompose(ok -> committer.ledger().room(connection.settings().maxTakenBytes()));
    }

    /** A failure of ours on one record: FAILED INTERNAL, its offset committed with that event. */
    private CompletionStage<Void> answerOurFault(Message<byte[]> message, IncomingKafkaRecordMetadata<?, byte[]> record,
            String offeredId, Throwable failure, RequestTracing.Trace trace) {
        Throwable cause = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
        String where = RecordOrigin.of(record).describe();
        LOG.log(Level.ERROR, String.format(
                "Handling the record at %s failed in the worker; it is answered FAILED INTERNAL and committed",
                where), cause);
        try {
            Outcome.Failed failed = new Outcome.Failed(null, RequestDecoder.validIdOrNull(offeredId), ErrorCode.INTERNAL,
                    "the worker failed on this request (" + cause.getClass().getSimpleName() + ") and did not retry"
                            + " it; this is the worker's fault, not the request's");
            trace.span().recordException(cause);
            return refuseWith(message, failed, RecordOrigin.of(record), offeredId, trace);
        } catch (RuntimeException | Error again) {
            LOG.log(Level.ERROR, String.format(
                    "Could not even answer the record at %s; it is left unacknowledged", where), again);
            message.nack(again);
            return CompletableFuture.completedFuture(null);
        }
    }

    private CompletionStage<Void> refuse(Message<byte[]> message, IncomingKafkaRecordMetadata<?, byte[]> record,
            String key, DecodedRequest.Refused refused, RequestTracing.Trace trace) {
        Outcome.Failed failed = new Outcome.Failed(refused.request(), refused.requestId(), refused.code(),
                refused.message());
        RecordOrigin origin = RecordOrigin.of(record).offering(refused.offeredId());
        LOG.log(Level.INFO, String.format("request %s FAILED %s (%s): %s", refused.requestId() == null
                ? "(no valid id; offered " + (origin.offeredId() == null ? "none" : "'" + origin.offeredId() + "'") + ")"
                : refused.requestId(), refused.code(), origin.describe(), refused.message()));
        if (refused.deadLetter() && connection.settings().deadLetterEnabled()) {
            // The copy first, then the answer: the record's offset is committed only once both are written.
            CompletableFuture<Void> answered = new CompletableFuture<>();
            publisher.deadLetter(message.getPayload(), key, refused.message(), record, tracing.headers(trace))
                    .whenComplete((ok, failure) -> {
                        if (failure == null) {
                            answer(message, origin, failed, trace).committed()
                                    .whenComplete((x, e) -> answered.complete(null));
                        } else {
                            stopChannel(message, failure, "dead letter", refused.requestId(), origin);
                            answered.complete(null);
                        }
                    });
            return answersInFlight.add(answered);
        }
        return answersInFlight.add(answer(message, origin, failed, trace).committed());
    }

    private CompletionStage<Void> refuseWith(Message<byte[]> message, Outcome.Failed failed, RecordOrigin origin,
            String offeredId, RequestTracing.Trace trace) {
        RecordOrigin withId = origin.offering(offeredId);
        if (origin.topic() == null) {
            throw new IllegalStateException("a record without Kafka metadata cannot be answered");
        }
        // A failure after the record was held is answered through the ledger; one before (it was not held) too,
        // once held now: either way the record's offset is committed with its FAILED event.
        TopicPartition tp = new TopicPartition(origin.topic(), origin.partition());
        committer.ledger().receive(tp, origin.offset(), failed.requestId(),
                message.getPayload() == null ? 0 : message.getPayload().length);
        return answersInFlight.add(answer(message, withId, failed, trace).committed());
    }

    /**
     * Hands the terminal event of the record at {@code origin} to the committer; the answer's future completes when
     * the transaction that carries it and commits the record's offset is committed (and fails when the record's
     * partition left this worker first: its next owner answers). The event carries the context of its publish span,
     * which lasts until then.
     */
    private AnswerLedger.Answer answer(Message<byte[]> message, RecordOrigin origin, Outcome outcome,
            RequestTracing.Trace trace) {
        Span publish = tracing.publishing(trace, outcome);
        AnswerLedger.Answer answer = new AnswerLedger.Answer(java.util.List.of(publisher.answer(outcome, origin,
                tracing.headers(trace.context().with(publish)))));
        answer.committed().whenComplete((ok, failure) -> tracing.answered(trace, publish, outcome, failure));
        answer.committed().thenRun(message::ack);
        committer.ledger().answer(new TopicPartition(origin.topic(), origin.partition()), origin.offset(), answer);
        return answer;
    }

    private void stopChannel(Message<byte[]> message, Throwable failure, String what, String requestId,
            RecordOrigin origin) {
        // Not written: the system's fault, not the request's. The record stays uncommitted; the channel's failure
        // strategy (fail) stops consumption and turns liveness down, and the request is redelivered after the restart.
        LOG.log(Level.ERROR, String.format(
                "The %s of request %s (%s) was not acknowledged by Kafka. The request channel STOPS now"
                + " and liveness is DOWN: restart the worker (the record stays uncommitted and is delivered again)",
                what, requestId == null ? "(no id)" : requestId, origin.describe()), failure);
        connection.markRequestChannelStopped();
        message.nack(failure);
    }

    /** The record's {@code tenant} header as UTF-8 (the last one, as Kafka's lastHeader), or null. */
    private static String tenantHeader(IncomingKafkaRecordMetadata<?, ?> record) {
        if (record == null || record.getHeaders() == null) {
            return null;
        }
        org.apache.kafka.common.header.Header header = record.getHeaders().lastHeader(TENANT_HEADER);
        return header == null || header.value() == null ? null
                : new String(header.value(), java.nio.charset.StandardCharsets.UTF_8);
    }

    private static TopicPartition partitionOf(IncomingKafkaRecordMetadata<?, ?> record) {
        return new TopicPartition(record.getTopic(), record.getPartition());
    }
}
