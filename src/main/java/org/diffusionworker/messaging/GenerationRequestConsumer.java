package org.diffusionworker.messaging;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.common.record.TimestampType;
import org.diffusionworker.worker.ErrorCode;
import org.diffusionworker.worker.GenerationWorker;
import org.diffusionworker.worker.Outcome;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

/**
 * Consumes request records one at a time (never as a batch: in SmallRye a throw in a batch method nacks every record
 * of the batch) and acknowledges each only when its event was acknowledged by Kafka, so its offset is committed only
 * then (throttled commit strategy: the highest offset below which every record is acknowledged).
 *
 * <p>The returned stage completes once the worker has room: while it is full, SmallRye stops requesting records, its
 * queue fills and it pauses the consumer's partitions until the worker drains; nothing is buffered without bound.
 */
@ApplicationScoped
class GenerationRequestConsumer {

    private static final Logger LOG = Logger.getLogger(GenerationRequestConsumer.class);
    /** Refusals whose events may be unacknowledged at once (the emitter buffers 4,096). */
    static final int ANSWERS_IN_FLIGHT = 256;

    @Inject
    WorkerConnection connection;

    @Inject
    EventPublisher publisher;


    @Inject
    ObjectMapper json;

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
        try {
            key = record != null && record.getKey() != null ? record.getKey().toString() : null;
            Instant submittedAt = record != null && record.getTimestampType() == TimestampType.CREATE_TIME
                    ? record.getTimestamp() : null;
            DecodedRequest decoded = decoder().decode(message.getPayload(), key, submittedAt);
            if (decoded instanceof DecodedRequest.Refused refused) {
                return refuse(message, record, key, refused);
            }
            DecodedRequest.Valid valid = (DecodedRequest.Valid) decoded;
            String id = valid.request().requestId();
            // The worker started before the channel connected; whenStarted() is complete by now. A failure in the
            // worker's admission is answered here; the stage SmallRye waits on never fails (that would stop it).
            RecordOrigin origin = RecordOrigin.of(record);
            return connection.whenStarted()
                    .thenCompose(worker -> admit(worker, message, origin, valid))
                    .exceptionally(failure -> {
                        answerOurFault(message, record, id, failure);
                        return null;
                    });
        } catch (RuntimeException | Error failure) {
            // Whatever this record did to us, it gets an event and is committed: it cannot stop the channel.
            return answerOurFault(message, record, key, failure);
        }
    }

    private CompletionStage<Void> admit(GenerationWorker worker, Message<byte[]> message, RecordOrigin origin,
            DecodedRequest.Valid valid) {
        GenerationWorker.Admission admission = worker.submit(valid.request(),
                new PublishingObserver(publisher, outcome -> answer(message, origin, outcome)));
        if (!admission.accepted()) {
            LOG.debugf("Stopping: request %s left unacknowledged, to be redelivered", valid.request().requestId());
        }
        return admission.room();
    }

    /** A failure of ours on one record: FAILED INTERNAL, committed once the event is acknowledged. */
    private CompletionStage<Void> answerOurFault(Message<byte[]> message, IncomingKafkaRecordMetadata<?, byte[]> record,
            String offeredId, Throwable failure) {
        Throwable cause = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
        String where = RecordOrigin.of(record).describe();
        LOG.errorf(cause, "Handling the record at %s failed in the worker; it is answered FAILED INTERNAL and committed",
                where);
        try {
            Outcome.Failed failed = new Outcome.Failed(null, RequestDecoder.validIdOrNull(offeredId), ErrorCode.INTERNAL,
                    "the worker failed on this request (" + cause.getClass().getSimpleName() + ") and did not retry"
                            + " it; this is the worker's fault, not the request's");
            return refuseWith(message, failed, RecordOrigin.of(record), offeredId);
        } catch (RuntimeException | Error again) {
            LOG.errorf(again, "Could not even answer the record at %s; it is left unacknowledged", where);
            message.nack(again);
            return CompletableFuture.completedFuture(null);
        }
    }

    private CompletionStage<Void> refuse(Message<byte[]> message, IncomingKafkaRecordMetadata<?, byte[]> record,
            String key, DecodedRequest.Refused refused) {
        Outcome.Failed failed = new Outcome.Failed(refused.request(), refused.requestId(), refused.code(),
                refused.message());
        RecordOrigin origin = RecordOrigin.of(record).offering(refused.offeredId());
        LOG.infof("request %s FAILED %s (%s): %s", refused.requestId() == null
                ? "(no valid id; offered " + (origin.offeredId() == null ? "none" : "'" + origin.offeredId() + "'") + ")"
                : refused.requestId(), refused.code(), origin.describe(), refused.message());
        CompletionStage<Void> event = publisher.publish(failed, origin);
        if (refused.deadLetter() && connection.settings().deadLetterEnabled()) {
            CompletionStage<Void> copy = publisher.deadLetter(message.getPayload(), key, refused.message(), record);
            event = event.thenCombine(copy, (a, b) -> null);
        }
        acknowledgeWhenDone(message, event, refused.requestId(), origin);
        return answersInFlight.add(event);
    }

    private CompletionStage<Void> refuseWith(Message<byte[]> message, Outcome.Failed failed, RecordOrigin origin,
            String offeredId) {
        RecordOrigin withId = origin.offering(offeredId);
        CompletionStage<Void> event = publisher.publish(failed, withId);
        acknowledgeWhenDone(message, event, failed.requestId(), withId);
        return answersInFlight.add(event);
    }

    private void answer(Message<byte[]> message, RecordOrigin origin, Outcome outcome) {
        acknowledgeWhenDone(message, publisher.publish(outcome, origin), outcome.requestId(), origin);
    }

    private void acknowledgeWhenDone(Message<byte[]> message, CompletionStage<Void> sent, String requestId,
            RecordOrigin origin) {
        sent.whenComplete((ok, failure) -> {
            if (failure == null) {
                message.ack();
            } else {
                // The event could not be written: the system's fault, not the request's. Leave the offset
                // uncommitted; the channel's failure strategy (fail) stops consumption and turns liveness down, and
                // the request is redelivered after the restart.
                LOG.errorf(failure, "The event of request %s (%s) was not acknowledged by Kafka. The request channel"
                        + " STOPS now and liveness is DOWN: restart the worker (the record stays uncommitted and is"
                        + " delivered again)", requestId == null ? "(no id)" : requestId, origin.describe());
                connection.markRequestChannelStopped();
                message.nack(failure);
            }
        });
    }
}
