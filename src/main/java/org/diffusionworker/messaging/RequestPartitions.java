package org.diffusionworker.messaging;

import io.micrometer.core.instrument.Counter;
import jakarta.annotation.PostConstruct;
import java.lang.System.Logger.Level;
import java.util.List;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.common.annotation.Identifier;
import io.smallrye.reactive.messaging.kafka.KafkaConsumerRebalanceListener;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Collection;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Follows the request partitions this worker owns (on the consumer's polling thread, as the group rebalances). Given
 * partitions: their records are held and answered under the new group membership. Losing partitions (revoked, or lost
 * when the group gave up on this worker): the answers ready are committed if the membership still allows it, then the
 * work of those partitions is dropped at once (queued requests leave the batcher, running ones leave their batch at
 * the next step), since the partitions' next owner answers them.
 */
@ApplicationScoped
@Identifier(RequestPartitions.NAME)
class RequestPartitions implements KafkaConsumerRebalanceListener {

    static final String NAME = "generation-requests-partitions";
    private static final System.Logger LOG = System.getLogger(RequestPartitions.class.getName());
    /** How long a revocation waits for the answers ready to be committed (the rebalance waits meanwhile). */
    static final Duration FLUSH_ON_REVOKE = Duration.ofSeconds(5);

    @Inject
    AnswerCommitter committer;

    @Inject
    WorkerConnection connection;

    @Inject
    MeterRegistry registry;

    /** Where a request can be when it is released; every series exists from the start, at zero. */
    static final List<String> RELEASED_WHILE = List.of("looking_up", "queued", "running", "storing");

    @PostConstruct
    void registerMetrics() {
        RELEASED_WHILE.forEach(this::released);
    }

    private Counter released(String where) {
        return Counter.builder("diffusion.requests.released").tag("while", where)
                .description("Requests dropped unanswered because their partition went to another worker")
                .register(registry);
    }

    @Override
    public void onPartitionsAssigned(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
        // The group's commits say which records after the committed offset were answered already (AnsweredAhead):
        // read before any record of the partitions is handed over. A read committed consumer waits here for a
        // transaction of the previous owner still open (KIP-447), so what it gets is settled. A failure propagates:
        // taking records without knowing what was answered would answer some twice.
        Map<TopicPartition, OffsetAndMetadata> committed = partitions.isEmpty() ? Map.of()
                : consumer.committed(new HashSet<>(partitions));
        committer.ledger().assign(partitions, consumer.groupMetadata(), committed);
        if (!partitions.isEmpty()) {
            LOG.log(Level.INFO, String.format(
                    "Request partitions assigned: %s (%s); committed: %s", partitions, consumer.groupMetadata(),
                    describe(committed)));
        }
    }

    private static String describe(Map<TopicPartition, OffsetAndMetadata> committed) {
        StringBuilder out = new StringBuilder();
        committed.forEach((tp, commit) -> {
            if (commit != null) {
                int ahead = AnsweredAhead.decode(commit.offset(), commit.metadata()).size();
                out.append(out.length() == 0 ? "" : ", ").append(tp.partition()).append('@').append(commit.offset())
                        .append(ahead == 0 ? "" : " (+" + ahead + " answered ahead)");
            }
        });
        return out.length() == 0 ? "none" : out.toString();
    }

    @Override
    public void onPartitionsRevoked(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
        if (partitions.isEmpty()) {
            return;
        }
        try {
            committer.flush(FLUSH_ON_REVOKE);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Set<String> dropped = committer.ledger().revoke(partitions);
        int releasedHere = 0;
        var worker = connection.worker();
        if (worker.isPresent()) {
            for (String requestId : dropped) {
                var where = worker.get().release(requestId);
                if (where.isPresent()) {
                    releasedHere++;
                    released(where.get()).increment();
                }
            }
        }
        LOG.log(Level.INFO, String.format(
                "Request partitions revoked: %s; %d request(s) of them dropped here, left to their next owner",
                partitions, releasedHere));
    }

    @Override
    public void onPartitionsLost(Consumer<?, ?> consumer, Collection<TopicPartition> partitions) {
        onPartitionsRevoked(consumer, partitions);
    }
}
