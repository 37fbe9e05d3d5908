package org.diffusionworker.deploy;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.HashMap;
import java.util.Map;
import org.diffusionworker.embedded.EmbeddedKafkaBroker;
import org.diffusionworker.embedded.EmbeddedS3Server;
import org.diffusionworker.testing.EmbeddedServers;

/**
 * A real Kafka broker (KRaft, in process) and S3 server (S3Proxy) for {@link DeployedWorkerTest}, with the four
 * topics of the deployment; the worker runs with the small random-weight test model.
 */
public class DeployTestInfrastructure implements QuarkusTestResourceLifecycleManager {

    static final String REQUESTS = "generation-requests";
    static final String EVENTS = "generation-events";
    static final String DEAD_LETTERS = "generation-requests-dead-letter";
    static final String CONTROL = "generation-control";

    private EmbeddedServers servers;

    @Override
    public Map<String, String> start() {
        servers = EmbeddedServers.inTemporaryDirectory("deploy-e2e-");
        EmbeddedKafkaBroker kafka = servers.kafka();
        EmbeddedS3Server s3 = servers.s3();
        // Two request partitions: the per-partition lag gauge then has more than one series, as in a deployment.
        kafka.createTopics(2, REQUESTS, EVENTS);
        kafka.createTopics(1, DEAD_LETTERS, CONTROL);

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
        c.put("diffusionworker.events.progress-interval", "100ms");
        c.put("quarkus.http.test-port", "0");
        return c;
    }

    @Override
    public void stop() {
        if (servers != null) {
            servers.close();
        }
    }
}
