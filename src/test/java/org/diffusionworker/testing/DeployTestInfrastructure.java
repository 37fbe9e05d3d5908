package org.diffusionworker.testing;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.List;
import java.util.Map;
import org.diffusionworker.embedded.EmbeddedKafkaBroker;
import org.diffusionworker.embedded.EmbeddedS3Server;

/**
 * A real Kafka broker (KRaft, in process) and S3 server (S3Proxy) for {@code deploy.DeployedWorkerTest}, with the four
 * topics of the deployment; the worker runs with the small random-weight test model.
 */
public class DeployTestInfrastructure implements QuarkusTestResourceLifecycleManager {

    private EmbeddedServers servers;

    @Override
    public Map<String, String> start() {
        servers = EmbeddedServers.inTemporaryDirectory("deploy-e2e-");
        EmbeddedKafkaBroker kafka = servers.kafka();
        EmbeddedS3Server s3 = servers.s3();
        // Two request partitions: the per-partition lag gauge then has more than one series, as in a deployment.
        kafka.createTopics(2, WorkerTestConfig.REQUESTS, WorkerTestConfig.EVENTS);
        kafka.createTopics(1, WorkerTestConfig.DEAD_LETTERS, WorkerTestConfig.CONTROL);

        Map<String, String> c = WorkerTestConfig.with(kafka.bootstrapServers(), s3.endpoint().toString(),
                s3.credentials().accessKey(), s3.credentials().secretKey());
        // As a deployment runs: its own bucket, a shorter delay, room for two batches; the rest at the worker's defaults.
        c.put("diffusionworker.storage.bucket", "deploy-test");
        c.put("diffusionworker.batching.max-queue-delay", "100ms");
        c.put("diffusionworker.batching.max-pending-images", "32");
        c.keySet().removeAll(List.of("diffusionworker.limits.default-steps", "diffusionworker.limits.max-payload-bytes",
                "diffusionworker.batching.max-taken-requests",
                "mp.messaging.incoming.generation-requests.max.poll.records"));
        return c;
    }

    @Override
    public void stop() {
        if (servers != null) {
            servers.close();
        }
    }
}
