package org.diffusionworker.testing;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.testcontainers.containers.MinIOContainer;
import org.testcontainers.kafka.KafkaContainer;

/** The official Apache Kafka and MinIO images, for where Docker exists. */
public class ContainerInfrastructureResource implements QuarkusTestResourceLifecycleManager {

    private final KafkaContainer kafka = new KafkaContainer("apache/kafka:4.1.0");
    private final MinIOContainer minio = new MinIOContainer("minio/minio:RELEASE.2023-09-04T19-57-37Z");

    @Override
    public Map<String, String> start() {
        kafka.start();
        minio.start();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.getBootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(WorkerTestConfig.REQUESTS, 1, (short) 1),
                    new NewTopic(WorkerTestConfig.EVENTS, 1, (short) 1),
                    new NewTopic(WorkerTestConfig.DEAD_LETTERS, 1, (short) 1),
                    new NewTopic(WorkerTestConfig.CONTROL, 1, (short) 1))).all().get();
        } catch (Exception e) {
            throw new IllegalStateException("could not create the test topics", e);
        }
        return WorkerTestConfig.with(kafka.getBootstrapServers(), minio.getS3URL(), minio.getUserName(),
                minio.getPassword());
    }

    @Override
    public void stop() {
        minio.stop();
        kafka.stop();
    }
}
