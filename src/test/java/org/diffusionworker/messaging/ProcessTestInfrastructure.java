package org.diffusionworker.messaging;

import java.nio.file.Path;
import org.diffusionworker.embedded.EmbeddedKafkaBroker;
import org.diffusionworker.embedded.EmbeddedS3Server;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the tests of worker processes share: an embedded Kafka broker with the worker's three topics, an embedded S3
 * server, and a producer and event reader, for the whole test class.
 */
abstract class ProcessTestInfrastructure {

    @TempDir
    static Path directory;

    static EmbeddedKafkaBroker kafka;
    static EmbeddedS3Server s3;
    static TestKafka clients;

    @BeforeAll
    static void startInfrastructure() {
        kafka = EmbeddedKafkaBroker.builder(directory.resolve("kafka")).build().start();
        kafka.createTopics(WorkerTestConfig.REQUESTS, WorkerTestConfig.EVENTS, WorkerTestConfig.DEAD_LETTERS);
        s3 = EmbeddedS3Server.builder(directory.resolve("s3")).build().start();
        clients = new TestKafka(kafka.bootstrapServers());
    }

    @AfterAll
    static void stopInfrastructure() {
        if (clients != null) {
            clients.close();
        }
        if (s3 != null) {
            s3.close();
        }
        if (kafka != null) {
            kafka.close();
        }
    }
}
