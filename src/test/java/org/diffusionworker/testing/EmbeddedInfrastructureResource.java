package org.diffusionworker.testing;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.Map;

/** A real Kafka broker (in-process KRaft) and a real S3 server (S3Proxy child process) for the worker's tests. */
public class EmbeddedInfrastructureResource implements QuarkusTestResourceLifecycleManager {

    private EmbeddedServers servers;

    @Override
    public Map<String, String> start() {
        servers = EmbeddedServers.inTemporaryDirectory("worker-e2e-");
        servers.kafka().createTopics(WorkerTestConfig.REQUESTS, WorkerTestConfig.EVENTS, WorkerTestConfig.DEAD_LETTERS,
                WorkerTestConfig.CONTROL);
        return WorkerTestConfig.with(servers.kafka().bootstrapServers(), servers.s3().endpoint().toString(),
                servers.s3().credentials().accessKey(), servers.s3().credentials().secretKey());
    }

    @Override
    public void stop() {
        if (servers != null) {
            servers.close();
        }
    }
}
