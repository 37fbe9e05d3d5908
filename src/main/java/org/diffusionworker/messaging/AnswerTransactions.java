package org.diffusionworker.messaging;

import io.smallrye.reactive.messaging.kafka.KafkaClientService;
import io.smallrye.reactive.messaging.kafka.KafkaProducer;
import io.smallrye.reactive.messaging.kafka.transactions.KafkaTransactions;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;

/**
 * One Kafka transaction of terminal events with their requests' offsets, through SmallRye's {@link KafkaTransactions}
 * on the {@value #ANSWERS_CHANNEL} channel (a {@code transactional.id} of its own per start).
 *
 * <p>A bean of its own so that it is made on first use: SmallRye hands out its emitters only once its channels are
 * wired, after the worker's start-up, where the {@link AnswerCommitter} is already made.
 */
@ApplicationScoped
class AnswerTransactions {

    static final String ANSWERS_CHANNEL = "generation-answers";

    @Inject
    @Channel(ANSWERS_CHANNEL)
    @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = 1024)
    KafkaTransactions<byte[]> transactions;

    @Inject
    KafkaClientService clients;

    /**
     * Begins a transaction, sends the drained events, adds their partitions' offsets under the drain's group
     * membership (which the group coordinator checks: KIP-447), commits; on any failure aborts and throws.
     */
    void commit(AnswerLedger.Drain drain) {
        KafkaProducer<?, ?> producer = clients.getProducer(ANSWERS_CHANNEL);
        transactions.withTransaction(emitter -> {
            drain.answers().forEach(answer -> answer.messages().forEach(emitter::send));
            return producer.sendOffsetsToTransaction(drain.offsets(), drain.group());
        }).await().indefinitely();
    }
}
