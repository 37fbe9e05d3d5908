package org.diffusionworker.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;

/** Following one request on the events topic: from the end of the topic, until its terminal event. */
public final class RequestEvents {

    private RequestEvents() {}

    /** Only events after this point: the positions taken now, before the request can be answered. */
    public static void positionAtEnd(KafkaConsumer<String, String> events, String topic, String servers,
            Duration wait) {
        List<PartitionInfo> infos = events.partitionsFor(topic, wait);
        if (infos == null || infos.isEmpty()) {
            throw new IllegalArgumentException("topic " + topic + " does not exist on " + servers);
        }
        List<TopicPartition> partitions = infos.stream().map(p -> new TopicPartition(p.topic(), p.partition()))
                .toList();
        events.assign(partitions);
        events.seekToEnd(partitions);
        partitions.forEach(events::position);
    }

    /**
     * Polls until the terminal event keyed {@code id} arrives (each poll blocks in the client until records come),
     * printing its STARTED and PROGRESS events on the way; null when none came within {@code wait}.
     */
    public static ConsumerRecord<String, String> awaitTerminal(ObjectMapper json, KafkaConsumer<String, String> events,
            String id, Duration wait, PrintWriter err) throws IOException {
        long deadline = System.nanoTime() + wait.toNanos();
        while (System.nanoTime() < deadline) {
            for (ConsumerRecord<String, String> record : events.poll(Duration.ofMillis(500))) {
                if (!id.equals(record.key())) {
                    continue;
                }
                JsonNode body = json.readTree(record.value());
                switch (body.path("status").asText()) {
                    case "STARTED" -> err.printf("%s STARTED after %d ms in queue, in a batch of %d image(s) from %d"
                            + " request(s)%n", id, body.path("queuedMs").asLong(),
                            body.path("batch").path("images").asInt(), body.path("batch").path("requests").asInt());
                    case "PROGRESS" -> err.printf("%s PROGRESS step %d of %d, about %.1f s left%n", id,
                            body.path("step").asInt(), body.path("steps").asInt(),
                            body.path("etaMs").asLong() / 1000.0);
                    default -> {
                        return record;
                    }
                }
                err.flush();
            }
        }
        return null;
    }
}
