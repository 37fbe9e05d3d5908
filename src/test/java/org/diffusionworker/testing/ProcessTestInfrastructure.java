package org.diffusionworker.testing;

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
public abstract class ProcessTestInfrastructure {

    @TempDir
    protected static Path directory;

    protected static EmbeddedServers servers;
    protected static EmbeddedKafkaBroker kafka;
    protected static EmbeddedS3Server s3;
    protected static TestKafka clients;

    @BeforeAll
    static void startInfrastructure() {
        servers = EmbeddedServers.in(directory);
        kafka = servers.kafka();
        s3 = servers.s3();
        kafka.createTopics(WorkerTestConfig.REQUESTS, WorkerTestConfig.EVENTS, WorkerTestConfig.DEAD_LETTERS,
                WorkerTestConfig.CONTROL);
        clients = new TestKafka(kafka.bootstrapServers());
    }

    @AfterAll
    static void stopInfrastructure() {
        if (clients != null) {
            clients.close();
        }
        if (servers != null) {
            servers.close();
        }
    }
}
