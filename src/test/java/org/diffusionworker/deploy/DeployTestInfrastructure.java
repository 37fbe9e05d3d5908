package org.diffusionworker.deploy;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import org.diffusionworker.embedded.EmbeddedKafkaBroker;
import org.diffusionworker.embedded.EmbeddedS3Server;

/**
 * A real Kafka broker (KRaft, in process) and S3 server (S3Proxy) for {@link DeployedWorkerTest}, with the three
 * topics of the deployment; the worker runs with the small random-weight test model.
 */
public class DeployTestInfrastructure implements QuarkusTestResourceLifecycleManager {

    static final String REQUESTS = "generation-requests";
    static final String EVENTS = "generation-events";
    static final String DEAD_LETTERS = "generation-requests-dead-letter";

    private EmbeddedKafkaBroker kafka;
    private EmbeddedS3Server s3;
    private Path data;

    @Override
    public Map<String, String> start() {
        try {
            data = Files.createTempDirectory("deploy-e2e-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        kafka = EmbeddedKafkaBroker.builder(data.resolve("kafka")).build().start();
        // Two request partitions: the per-partition lag gauge then has more than one series, as in a deployment.
        kafka.createTopics(2, REQUESTS, EVENTS);
        kafka.createTopics(1, DEAD_LETTERS);
        s3 = EmbeddedS3Server.builder(data.resolve("s3")).build().start();

        Map<String, String> c = new HashMap<>();
        c.put("kafka.bootstrap.servers", kafka.bootstrapServers());
        c.put("diffusionworker.worker.enabled", "true");
        c.put("diffusionworker.model.path", "src/test/resources/models/random-gray28");
        c.put("diffusionworker.model.device", "cpu");
        c.put("diffusionworker.storage.endpoint", s3.endpoint().toString());
        c.put("diffusionworker.storage.access-key", s3.credentials().accessKey());
        c.put("diffusionworker.storage.secret-key", s3.credentials().secretKey());
        c.put("diffusionworker.storage.bucket", "deploy-test");
        c.put("diffusionworker.batching.max-images", "16");
        c.put("diffusionworker.batching.max-queue-delay", "100ms");
        c.put("diffusionworker.limits.max-count", "16");
        c.put("diffusionworker.batching.max-pending-images", "32");
        c.put("diffusionworker.storage.outage-limit", "10s");
        c.put("diffusionworker.worker.shutdown-grace", "10s");
        c.put("mp.messaging.incoming.generation-requests.auto.commit.interval.ms", "500");
        c.put("quarkus.http.test-port", "0");
        return c;
    }

    @Override
    public void stop() {
        if (s3 != null) {
            s3.close();
        }
        if (kafka != null) {
            kafka.close();
        }
        if (data != null) {
            try (var paths = Files.walk(data)) {
                paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                // A temporary directory left behind is not worth failing a test run for.
            }
        }
    }
}
