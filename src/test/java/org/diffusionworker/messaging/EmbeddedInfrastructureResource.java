package org.diffusionworker.messaging;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.diffusionworker.embedded.EmbeddedKafkaBroker;
import org.diffusionworker.embedded.EmbeddedS3Server;

/** A real Kafka broker (in-process KRaft) and a real S3 server (S3Proxy child process) for the worker's tests. */
public class EmbeddedInfrastructureResource implements QuarkusTestResourceLifecycleManager {

    private EmbeddedKafkaBroker kafka;
    private EmbeddedS3Server s3;
    private Path data;

    @Override
    public Map<String, String> start() {
        try {
            data = Files.createTempDirectory("worker-e2e-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        kafka = EmbeddedKafkaBroker.builder(data.resolve("kafka")).build().start();
        kafka.createTopics(WorkerTestConfig.REQUESTS, WorkerTestConfig.EVENTS, WorkerTestConfig.DEAD_LETTERS);
        s3 = EmbeddedS3Server.builder(data.resolve("s3")).build().start();
        return WorkerTestConfig.with(kafka.bootstrapServers(), s3.endpoint().toString(), s3.credentials().accessKey(),
                s3.credentials().secretKey());
    }

    @Override
    public void stop() {
        if (s3 != null) {
            s3.close();
        }
        if (kafka != null) {
            kafka.close();
        }
        deleteQuietly(data);
    }

    private static void deleteQuietly(Path directory) {
        if (directory == null) {
            return;
        }
        try (var paths = Files.walk(directory)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // A temporary directory left behind is not worth failing a test run for.
        }
    }
}
