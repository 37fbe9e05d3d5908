package org.diffusionworker.testing;

import java.util.HashMap;
import java.util.Map;

/**
 * The one builder of the worker configuration that the Quarkus tests start with, whichever Kafka and S3 they run
 * against; a test sets its own values over it.
 */
public final class WorkerTestConfig {

    public static final String REQUESTS = "generation-requests";
    public static final String EVENTS = "generation-events";
    public static final String DEAD_LETTERS = "generation-requests-dead-letter";
    public static final String CONTROL = "generation-control";
    public static final String BUCKET = "test-generations";
    public static final int MAX_COUNT = 16;
    /** Requests a worker takes at most: more than the tests' floods of a few, so that it reads past them. */
    public static final int MAX_TAKEN = 12;

    private WorkerTestConfig() {}

    public static Map<String, String> with(String bootstrapServers, String s3Endpoint, String accessKey, String secretKey) {
        Map<String, String> c = new HashMap<>();
        c.put("kafka.bootstrap.servers", bootstrapServers);
        c.put("diffusionworker.worker.enabled", "true");
        c.put("diffusionworker.model.path", "src/test/resources/models/random-gray28");
        c.put("diffusionworker.model.device", "cpu");
        c.put("diffusionworker.storage.endpoint", s3Endpoint);
        c.put("diffusionworker.storage.access-key", accessKey);
        c.put("diffusionworker.storage.secret-key", secretKey);
        c.put("diffusionworker.storage.bucket", BUCKET);
        c.put("diffusionworker.batching.max-images", "16");
        // Long enough that requests produced together meet in one batch, short enough for quick tests.
        c.put("diffusionworker.batching.max-queue-delay", "300ms");
        c.put("diffusionworker.limits.max-count", Integer.toString(MAX_COUNT));
        // Requests that name no steps (the fuzzed ones that come out valid) stay cheap.
        c.put("diffusionworker.limits.default-steps", "2");
        c.put("diffusionworker.limits.max-payload-bytes", "4096");
        c.put("diffusionworker.batching.max-pending-images", "16");
        c.put("diffusionworker.batching.max-taken-requests", Integer.toString(MAX_TAKEN));
        c.put("diffusionworker.storage.outage-limit", "10s");
        c.put("diffusionworker.worker.shutdown-grace", "10s");
        // Tiny polls so that back-pressure pauses the consumer after a handful of records.
        c.put("mp.messaging.incoming.generation-requests.max.poll.records", "2");
        c.put("mp.messaging.incoming.generation-requests.auto.commit.interval.ms", "500");
        c.put("quarkus.http.test-port", "0");
        // The shortest allowed, so that the short test runs still show several PROGRESS events.
        c.put("diffusionworker.events.progress-interval", "100ms");
        return c;
    }
}
