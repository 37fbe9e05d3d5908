package org.diffusionworker.embedded;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedKafkaBrokerTest extends KafkaRoundTripContract {

    @TempDir
    static Path sharedDirectory;

    private static EmbeddedKafkaBroker broker;

    @BeforeAll
    static void startBroker() {
        broker = EmbeddedKafkaBroker.builder(sharedDirectory.resolve("kafka")).build().start();
    }

    @AfterAll
    static void stopBroker() {
        broker.close();
    }

    @Override
    String bootstrapServers() {
        return broker.bootstrapServers();
    }

    @Override
    void createTopic(String topic) {
        broker.createTopics(topic);
    }

    @Test
    void listensOnLoopbackAndFormatsItsDataDirectory() {
        assertTrue(broker.bootstrapServers().startsWith("127.0.0.1:"), broker.bootstrapServers());
        assertTrue(Files.exists(broker.dataDirectory().resolve("meta.properties")));
    }

    @Test
    void creatingAnExistingTopicAgainIsHarmless() {
        broker.createTopics("created-twice");
        broker.createTopics("created-twice");
    }

    @Test
    void restartOnSameDataDirectoryKeepsTopicAndCommittedOffset(@TempDir Path directory) throws Exception {
        Path data = directory.resolve("kafka");
        String topic = "survives-restart";
        String group = "restart-group";
        try (EmbeddedKafkaBroker first = EmbeddedKafkaBroker.builder(data).build().start()) {
            first.createTopics(topic);
            try (KafkaProducer<String, String> producer = producer(first.bootstrapServers())) {
                producer.send(new ProducerRecord<>(topic, "a", "first")).get();
                producer.send(new ProducerRecord<>(topic, "b", "second")).get();
            }
            // Consume the first record only and commit past it.
            try (KafkaConsumer<String, String> consumer = consumer(first.bootstrapServers(), group)) {
                consumer.subscribe(List.of(topic));
                receive(consumer, 2);
                consumer.commitSync(Map.of(new TopicPartition(topic, 0), new OffsetAndMetadata(1)));
            }
        }

        try (EmbeddedKafkaBroker second = EmbeddedKafkaBroker.builder(data).build().start()) {
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, second.bootstrapServers()))) {
                assertTrue(admin.listTopics().names().get().contains(topic), "topic still listed after restart");
                OffsetAndMetadata committed = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get()
                        .get(new TopicPartition(topic, 0));
                assertEquals(1, committed.offset(), "committed offset after restart");
            }
            // The group resumes after the committed offset: only the second record is delivered again.
            try (KafkaConsumer<String, String> consumer = consumer(second.bootstrapServers(), group)) {
                consumer.subscribe(List.of(topic));
                assertEquals("second", receive(consumer, 1).get(0).value());
            }
        }
    }

    @Test
    void closeTwiceIsHarmlessAndStartingAgainIsRefused(@TempDir Path directory) {
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder(directory).build().start();
        broker.close();
        broker.close();
        IllegalStateException refused = assertThrows(IllegalStateException.class, broker::start);
        assertTrue(refused.getMessage().contains("build a new one"), refused.getMessage());
    }
}
