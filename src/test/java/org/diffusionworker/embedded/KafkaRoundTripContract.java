package org.diffusionworker.embedded;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * What any Kafka broker the project runs against must do for plain clients. Subclasses provide the broker: the
 * embedded one, or a container where Docker exists.
 */
abstract class KafkaRoundTripContract {

    static final Duration RECEIVE_TIMEOUT = Duration.ofSeconds(30);

    /** {@code bootstrap.servers} of a running broker. */
    abstract String bootstrapServers();

    /** Creates a topic with one partition on that broker. */
    abstract void createTopic(String topic);

    @Test
    void recordProducedToCreatedTopicIsConsumed() throws Exception {
        String topic = "round-trip-" + UUID.randomUUID();
        createTopic(topic);

        try (KafkaProducer<String, String> producer = producer(bootstrapServers())) {
            producer.send(new ProducerRecord<>(topic, "request-1", "hello")).get();
        }
        try (KafkaConsumer<String, String> consumer = consumer(bootstrapServers(), "round-trip-" + UUID.randomUUID())) {
            consumer.subscribe(List.of(topic));
            List<ConsumerRecord<String, String>> received = receive(consumer, 1);

            assertEquals("request-1", received.get(0).key());
            assertEquals("hello", received.get(0).value());
        }
    }

    static KafkaProducer<String, String> producer(String bootstrapServers) {
        return new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class));
    }

    static KafkaConsumer<String, String> consumer(String bootstrapServers, String groupId) {
        return new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.GROUP_ID_CONFIG, groupId,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class));
    }

    /**
     * Polls until {@code count} records arrived or {@link #RECEIVE_TIMEOUT} passed. Each poll blocks inside the
     * client until records arrive, so this does not spin.
     */
    static List<ConsumerRecord<String, String>> receive(KafkaConsumer<String, String> consumer, int count) {
        List<ConsumerRecord<String, String>> received = new ArrayList<>();
        long deadline = System.nanoTime() + RECEIVE_TIMEOUT.toNanos();
        while (received.size() < count && System.nanoTime() < deadline) {
            consumer.poll(Duration.ofMillis(500)).forEach(received::add);
        }
        assertEquals(count, received.size(), "records received within " + RECEIVE_TIMEOUT);
        return received;
    }
}
