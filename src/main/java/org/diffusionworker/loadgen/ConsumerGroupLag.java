package org.diffusionworker.loadgen;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * The worker group's lag on the requests topic, through Kafka's Admin API: over the topic's partitions, the end
 * offset minus the group's committed offset (records not yet answered and committed). A partition the group has not
 * committed yet counts from its first offset (the worker reads from the earliest).
 */
final class ConsumerGroupLag implements AutoCloseable {

    private static final long TIMEOUT_MS = 5_000;

    private final Admin admin;
    private final String group;
    private final List<TopicPartition> partitions;

    ConsumerGroupLag(String bootstrapServers, String group, List<TopicPartition> partitions) {
        this.admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) TIMEOUT_MS,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) TIMEOUT_MS));
        this.group = group;
        this.partitions = List.copyOf(partitions);
    }

    /** The lag summed over the partitions, in records. */
    long sample() throws Exception {
        Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group)
                .partitionsToOffsetAndMetadata().get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
        Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends = offsets(OffsetSpec.latest());
        Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> starts = null;
        long lag = 0;
        for (TopicPartition p : partitions) {
            OffsetAndMetadata c = committed.get(p);
            long from;
            if (c != null) {
                from = c.offset();
            } else {
                starts = starts != null ? starts : offsets(OffsetSpec.earliest());
                from = starts.get(p).offset();
            }
            lag += Math.max(0, ends.get(p).offset() - from);
        }
        return lag;
    }

    private Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> offsets(OffsetSpec spec) throws Exception {
        Map<TopicPartition, OffsetSpec> request = new HashMap<>();
        partitions.forEach(p -> request.put(p, spec));
        return admin.listOffsets(request).all().get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        admin.close(java.time.Duration.ofSeconds(5));
    }
}
