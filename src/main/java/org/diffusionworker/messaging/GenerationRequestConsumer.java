package org.diffusionworker.messaging;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordMetadata;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.common.record.TimestampType;
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

    @Inject
    WorkerRuntime runtime;

    @Inject
    EventPublisher publisher;

    @Inject
    WorkerConfig config;

    @Inject
    ObjectMapper json;

    private RequestDecoder decoder;

    @PostConstruct
    void init() {
        decoder = new RequestDecoder(json, config.limits().maxPayloadBytes());
    }

    @Incoming("generation-requests")
    CompletionStage<Void> consume(Message<byte[]> message) {
        @SuppressWarnings("unchecked")
        IncomingKafkaRecordMetadata<Object, byte[]> record =
                message.getMetadata(IncomingKafkaRecordMetadata.class).orElse(null);
        String key = record != null && record.getKey() != null ? record.getKey().toString() : null;
        Instant submittedAt = record != null && record.getTimestampType() == TimestampType.CREATE_TIME
                ? record.getTimestamp() : null;
        DecodedRequest decoded = decoder.decode(message.getPayload(), key, submittedAt);
        if (decoded instanceof DecodedRequest.Refused refused) {
            refuse(message, record, key, refused);
            return CompletableFuture.completedFuture(null);
        }
        DecodedRequest.Valid valid = (DecodedRequest.Valid) decoded;
        // The worker started before the channel connected; whenStarted() is complete by now.
        return runtime.whenStarted().thenCompose(worker -> admit(worker, message, valid));
    }

    private CompletionStage<Void> admit(GenerationWorker worker, Message<byte[]> message, DecodedRequest.Valid valid) {
        GenerationWorker.Admission admission = worker.submit(valid.request(), outcome -> answer(message, outcome));
        if (!admission.accepted()) {
            LOG.debugf("Stopping: request %s left unacknowledged, to be redelivered", valid.request().requestId());
        }
        return admission.room();
    }

    private void refuse(Message<byte[]> message, IncomingKafkaRecordMetadata<?, byte[]> record, String key,
            DecodedRequest.Refused refused) {
        Outcome.Failed failed = new Outcome.Failed(refused.request(), refused.requestId(), refused.code(),
                refused.message());
        String where = record == null ? "" : " (" + record.getTopic() + "-" + record.getPartition() + "@"
                + record.getOffset() + ")";
        LOG.infof("request %s FAILED %s%s: %s", refused.requestId() == null ? "(no id)" : refused.requestId(),
                refused.code(), where, refused.message());
        CompletionStage<Void> event = publisher.publish(failed);
        if (refused.deadLetter() && config.events().deadLetterEnabled()) {
            CompletionStage<Void> copy = publisher.deadLetter(message.getPayload(), key, refused.message(), record);
            event = event.thenCombine(copy, (a, b) -> null);
        }
        acknowledgeWhenDone(message, event, refused.requestId());
    }

    private void answer(Message<byte[]> message, Outcome outcome) {
        acknowledgeWhenDone(message, publisher.publish(outcome), outcome.requestId());
    }

    private static void acknowledgeWhenDone(Message<byte[]> message, CompletionStage<Void> sent, String requestId) {
        sent.whenComplete((ok, failure) -> {
            if (failure == null) {
                message.ack();
            } else {
                // The event could not be written: leave the offset uncommitted. The channel's failure strategy
                // (fail) stops consumption and turns health down, and the request is redelivered after a restart.
                LOG.errorf(failure, "The event of request %s was not acknowledged by Kafka", requestId);
                message.nack(failure);
            }
        });
    }
}
