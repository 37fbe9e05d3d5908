package org.diffusionworker.messaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quarkus.test.common.http.TestHTTPResource;
import io.smallrye.reactive.messaging.kafka.KafkaClientService;
import jakarta.inject.Inject;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import javax.imageio.ImageIO;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.diffusionworker.storage.MinioObjectStore;
import org.diffusionworker.storage.MinioStoreSettings;
import org.diffusionworker.storage.RetrySettings;
import org.diffusionworker.testing.FuzzedRecords;
import org.diffusionworker.testing.GridCells;
import org.diffusionworker.testing.TestKafka;
import org.diffusionworker.testing.WorkerTestConfig;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.diffusionworker.worker.WorkerStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The worker end to end: requests produced by a plain KafkaProducer, events read by a plain KafkaConsumer, images
 * downloaded from the URLs in the events. Subclasses supply the infrastructure (embedded, or containers).
 */
@Tag("quarkus")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class WorkerEndToEndContract {

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    static final int FUZZED = 1000;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    @ConfigProperty(name = "diffusionworker.storage.endpoint")
    String s3Endpoint;

    @ConfigProperty(name = "diffusionworker.storage.access-key")
    String s3AccessKey;

    @ConfigProperty(name = "diffusionworker.storage.secret-key")
    String s3SecretKey;

    @ConfigProperty(name = "diffusionworker.storage.bucket")
    String bucket;

    @TestHTTPResource("/q/health/ready")
    URL readiness;

    @TestHTTPResource("/q/metrics")
    URL metrics;

    @Inject
    WorkerConnection connection;

    @Inject
    KafkaClientService kafkaClients;

    TestKafka kafka;
    private final String run = UUID.randomUUID().toString().substring(0, 8);

    @BeforeAll
    void connect() {
        kafka = new TestKafka(bootstrapServers);
    }

    @AfterAll
    void disconnect() {
        kafka.close();
    }

    String id(String name) {
        return name + "-" + run;
    }

    static ObjectNode request(String id) {
        ObjectNode r = TestKafka.JSON.createObjectNode();
        r.put("requestId", id);
        r.put("steps", 5);
        r.put("count", 2);
        r.put("seed", 11);
        return r;
    }

    @Test
    void requestsSentTogetherShareABatchAndComeBackAsCloudEventsWithDownloadableGrids() throws Exception {
        String bag = id("together-bag");
        String sneaker = id("together-sneaker");
        String mixed = id("together-mix");
        kafka.send(bag, request(bag).put("label", "bag").put("count", 3).set("attributes",
                TestKafka.JSON.createObjectNode().put("caller", "e2e")).toString());
        kafka.send(sneaker, request(sneaker).put("label", "sneaker").put("count", 3).put("columns", 3).toString());
        ObjectNode mix = request(mixed).put("trajectory", true);
        mix.putObject("context").put("sneaker", 0.6).put("bag", 0.4);
        kafka.send(mixed, mix.toString());

        Map<String, TestKafka.Event> events = kafka.await(List.of(bag, sneaker, mixed), 1);

        for (TestKafka.Event e : events.values()) {
            assertEquals("COMPLETED", e.status(), e.body().toString());
            assertEquals(e.key(), e.body().path("requestId").asText());
            assertEquals("1.0", e.headers().get("ce_specversion"));
            assertEquals(EventPublisher.COMPLETED_TYPE, e.headers().get("ce_type"));
            assertEquals("urn:diffusion-worker", e.headers().get("ce_source"));
            assertEquals(e.key(), e.headers().get("ce_subject"));
            assertEquals(e.key() + ":completed", e.headers().get("ce_id"));
            JsonNode image = e.body().path("image");
            BufferedImage png = ImageIO.read(new ByteArrayInputStream(download(image.path("url").asText())));
            assertEquals(image.path("width").asInt(), png.getWidth(), "PNG width matches the event");
            assertEquals(image.path("height").asInt(), png.getHeight(), "PNG height matches the event");
            assertEquals("generations/" + e.key() + "/grid.png", image.path("key").asText());
            assertEquals(WorkerTestConfig.BUCKET, image.path("bucket").asText());
            JsonNode batch = e.body().path("batches").get(0);
            assertEquals(3, batch.path("requests").asInt(), "compatible requests arriving together share a batch");
            assertEquals(8, batch.path("images").asInt());
            assertEquals(11, e.body().path("parameters").path("seed").asLong());
            assertTrue(e.body().path("timings").path("endToEndMs").asLong() > 0);
        }
        assertEquals("e2e", events.get(bag).body().path("attributes").path("caller").asText());
        assertEquals(3 * 30 + 2, events.get(sneaker).body().path("image").path("width").asInt(), "3 columns");
        JsonNode gif = events.get(mixed).body().path("trajectory");
        assertTrue(new String(download(gif.path("url").asText()), 0, 6, StandardCharsets.US_ASCII).startsWith("GIF8"));
        assertEquals(0.6, events.get(mixed).body().path("parameters").path("context").path("sneaker").asDouble());
    }

    @Test
    void everyKindOfBadInputGetsItsFailedEventIsCommittedAndThePartitionKeepsFlowing() throws Exception {
        Map<String, String> expected = new java.util.LinkedHashMap<>();
        String bytes = id("bad-bytes");
        kafka.send(bytes, new byte[] {(byte) 0xff, (byte) 0xfe, '{', 0});
        expected.put(bytes, "INVALID_REQUEST");
        String array = id("bad-array");
        kafka.send(array, "[1, 2, 3]");
        expected.put(array, "INVALID_REQUEST");
        String type = id("bad-type");
        kafka.send(type, request(type).put("count", "four").toString());
        expected.put(type, "INVALID_REQUEST");
        String label = id("bad-label");
        kafka.send(label, request(label).put("label", "unicorn").toString());
        expected.put(label, "UNKNOWN_LABEL");
        String count = id("bad-count");
        kafka.send(count, request(count).put("count", WorkerTestConfig.MAX_COUNT + 1).toString());
        expected.put(count, "LIMIT_EXCEEDED");
        String steps = id("bad-steps");
        kafka.send(steps, request(steps).put("steps", 5000).toString());
        expected.put(steps, "LIMIT_EXCEEDED");
        String big = id("bad-size");
        kafka.send(big, request(big).put("padding", "x".repeat(5000)).toString());
        expected.put(big, "LIMIT_EXCEEDED");
        String both = id("bad-both");
        ObjectNode twoConditions = request(both).put("label", "bag");
        twoConditions.putObject("context").put("bag", 1.0);
        kafka.send(both, twoConditions.toString());
        expected.put(both, "INVALID_REQUEST");
        String late = id("bad-late");
        kafka.send(late, request(late).put("deadline", Instant.now().minusSeconds(60).toString()).toString());
        expected.put(late, "EXPIRED");
        String sampler = id("bad-sampler");
        kafka.send(sampler, request(sampler).put("sampler", "euler").toString());
        expected.put(sampler, "INVALID_REQUEST");
        String good = id("good-after-bad");
        kafka.send(good, request(good).put("label", "coat").toString());

        List<String> ids = new ArrayList<>(expected.keySet());
        ids.add(good);
        Map<String, TestKafka.Event> events = kafka.await(ids, 1);

        expected.forEach((id, code) -> {
            TestKafka.Event e = events.get(id);
            assertEquals("FAILED", e.status(), id);
            assertEquals(code, e.errorCode(), id + ": " + e.body());
            assertFalse(e.body().path("error").path("message").asText().isBlank());
            assertEquals(EventPublisher.FAILED_TYPE, e.headers().get("ce_type"));
        });
        assertEquals("COMPLETED", events.get(good).status(), "the partition kept flowing");

        try (KafkaConsumer<String, byte[]> dlq = TestKafka.deadLetterReader(bootstrapServers)) {
            Map<String, String> reasons = new HashMap<>();
            long deadline = System.nanoTime() + TestKafka.WAIT.toNanos();
            while (reasons.size() < 2 && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> r : dlq.poll(Duration.ofMillis(200))) {
                    if (r.key() != null && (r.key().equals(bytes) || r.key().equals(array))) {
                        reasons.put(r.key(), new String(r.headers().lastHeader(EventPublisher.DLQ_REASON).value(),
                                StandardCharsets.UTF_8));
                    }
                }
            }
            assertTrue(reasons.get(bytes).contains("not valid JSON"), reasons.toString());
            assertTrue(reasons.get(array).contains("must be a JSON object"), reasons.toString());
        }
        awaitAllCommitted();
    }

    @Test
    void duplicateRequestIsNotSampledTwiceAndDifferentParametersUnderTheSameIdAreRefused() throws Exception {
        String id = id("duplicate");
        String json = request(id).put("label", "trouser").without("seed").toString();
        kafka.send(id, json);
        TestKafka.Event first = kafka.awaitNth(id, 1);
        assertEquals("COMPLETED", first.status());
        double imagesBefore = metric("diffusion_images_generated_total");

        kafka.send(id, json);
        TestKafka.Event second = kafka.awaitNth(id, 2);

        assertEquals("COMPLETED", second.status());
        assertTrue(second.body().path("deduplicated").asBoolean());
        assertEquals(0, second.body().path("batches").size(), "not sampled again");
        assertEquals(first.body().path("image").path("key"), second.body().path("image").path("key"));
        assertEquals(first.body().path("parameters").path("seed"), second.body().path("parameters").path("seed"),
                "the drawn seed is reported again");
        assertTrue(first.body().path("parameters").path("seedDrawn").asBoolean());
        assertEquals(imagesBefore, metric("diffusion_images_generated_total"));

        kafka.send(id, request(id).put("label", "trouser").put("count", 3).toString());
        TestKafka.Event third = kafka.awaitNth(id, 3);
        assertEquals("CONFLICT", third.errorCode(), third.body().toString());
    }

    /**
     * Layouts end to end: "both" lists each image, stored in S3 as a PNG of its own equal to its cell of the grid;
     * "images" stores no grid and leaves the event's image out; a second send of either is answered deduplicated
     * with the same list; the same id with another layout is CONFLICT.
     */
    @Test
    void singleImagesAreListedStoredEqualToTheirGridCellsDeduplicatedAndGuardedByTheLayout() throws Exception {
        String both = id("layout-both");
        String images = id("layout-images");
        String bothJson = request(both).put("label", "sneaker").put("count", 5).put("layout", "both").toString();
        String imagesJson = request(images).put("label", "bag").put("count", 3).put("layout", "images")
                .without("seed").toString();
        kafka.send(both, bothJson);
        kafka.send(images, imagesJson);
        Map<String, TestKafka.Event> first = kafka.await(List.of(both, images), 1);

        try (MinioObjectStore store = store()) {
            JsonNode event = first.get(both).body();
            assertEquals("COMPLETED", first.get(both).status(), event.toString());
            assertEquals("both", event.path("parameters").path("layout").asText());
            JsonNode grid = event.path("image");
            assertEquals("generations/" + both + "/grid.png", grid.path("key").asText());
            BufferedImage gridPng = GridCells.png(download(grid.path("url").asText()));
            JsonNode list = event.path("images");
            assertEquals(5, list.size(), event.toString());
            for (int i = 0; i < 5; i++) {
                JsonNode image = list.get(i);
                assertEquals(i, image.path("index").asInt());
                String key = "generations/" + both + "/images/" + i + ".png";
                assertEquals(key, image.path("key").asText());
                assertEquals("image/png", store.stat(key).orElseThrow().contentType(), "in S3: " + key);
                BufferedImage png = GridCells.png(download(image.path("url").asText()));
                assertEquals(28, png.getWidth(), "one image, no border");
                assertEquals(28, png.getHeight());
                assertNull(GridCells.differenceFromCell(gridPng, png, i, grid.path("columns").asInt(), 5));
                assertTrue(java.util.Arrays.equals(store.get(key), download(image.path("url").asText())),
                        "the URL serves the object under the key");
            }

            JsonNode only = first.get(images).body();
            assertEquals("COMPLETED", first.get(images).status(), only.toString());
            assertTrue(only.path("image").isMissingNode(), "layout images: no grid, so no image field: " + only);
            assertEquals("images", only.path("parameters").path("layout").asText());
            assertTrue(store.stat("generations/" + images + "/grid.png").isEmpty(), "no grid stored");
            assertTrue(store.stat("generations/" + images + "/images.json").isPresent(), "its done marker");
            assertEquals(3, only.path("images").size());
            for (JsonNode image : only.path("images")) {
                assertEquals(28, GridCells.png(download(image.path("url").asText())).getWidth());
            }

            kafka.send(both, bothJson);
            kafka.send(images, imagesJson);
            TestKafka.Event bothAgain = kafka.awaitNth(both, 2);
            TestKafka.Event imagesAgain = kafka.awaitNth(images, 2);
            for (TestKafka.Event[] pair : new TestKafka.Event[][] {{first.get(both), bothAgain},
                    {first.get(images), imagesAgain}}) {
                JsonNode again = pair[1].body();
                assertEquals("COMPLETED", pair[1].status(), again.toString());
                assertTrue(again.path("deduplicated").asBoolean(), again.toString());
                assertEquals(0, again.path("batches").size(), "not sampled again");
                assertEquals(keysOf(pair[0].body()), keysOf(again), "the same images");
                assertEquals(urlPathsOf(pair[0].body()), urlPathsOf(again), "URLs of the same objects");
                assertEquals(pair[0].body().path("image").path("key"), again.path("image").path("key"));
                assertEquals(pair[0].body().path("parameters"), again.path("parameters"), "the drawn seed, again");
            }

            kafka.send(both, request(both).put("label", "sneaker").put("count", 5).put("layout", "images").toString());
            kafka.send(images, request(images).put("label", "bag").put("count", 3).without("seed").toString());
            assertEquals("CONFLICT", kafka.awaitNth(both, 3).errorCode(), "both, then images under the same id");
            assertEquals("CONFLICT", kafka.awaitNth(images, 3).errorCode(), "images, then grid under the same id");
            assertTrue(store.stat("generations/" + images + "/grid.png").isEmpty(), "a conflict stores nothing");
        }
    }

    private static List<String> keysOf(JsonNode event) {
        List<String> keys = new ArrayList<>();
        event.path("images").forEach(i -> keys.add(i.path("index").asInt() + " " + i.path("key").asText()));
        return keys;
    }

    /** A presigned URL is signed afresh for every answer: its path names the object. */
    private static List<String> urlPathsOf(JsonNode event) {
        List<String> paths = new ArrayList<>();
        event.path("images").forEach(i -> paths.add(URI.create(i.path("url").asText()).getPath()));
        return paths;
    }

    /** A client of the worker's bucket, as the test infrastructure configured it. */
    private MinioObjectStore store() {
        return new MinioObjectStore(new MinioStoreSettings(URI.create(s3Endpoint), "us-east-1", s3AccessKey,
                s3SecretKey, bucket, Duration.ofMinutes(10), Optional.empty(),
                new RetrySettings(2, Duration.ofMillis(50), Duration.ofMillis(100)), Duration.ofSeconds(10)));
    }

    @Test
    void workerStopsFetchingAtItsLimitOfRequestsTakenAndAdmitsABoundedNumberOfImages() throws Exception {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 2 * WorkerTestConfig.MAX_TAKEN; i++) {
            String id = id("pressure-" + i);
            ids.add(id);
            kafka.send(id, request(id).put("label", "dress").put("count", WorkerTestConfig.MAX_COUNT).put("steps", 3)
                    .toString());
        }
        int maxTaken = 0;
        int maxAdmitted = 0;
        boolean pausedSeen = false;
        long deadline = System.nanoTime() + TestKafka.WAIT.toNanos();
        while (ids.stream().anyMatch(id -> kafka.eventsFor(id) == 0) && System.nanoTime() < deadline) {
            WorkerStatus status = connection.worker().orElseThrow().status();
            maxTaken = Math.max(maxTaken, status.takenRequests());
            maxAdmitted = Math.max(maxAdmitted, status.pendingImages() - status.queuedImages());
            pausedSeen |= !kafkaClients.getConsumer("generation-requests").paused().await()
                    .atMost(Duration.ofSeconds(5)).isEmpty();
            kafka.poll();
        }
        kafka.await(ids, 1).values().forEach(e -> assertEquals("COMPLETED", e.status()));
        assertTrue(maxTaken <= WorkerTestConfig.MAX_TAKEN, "requests taken peaked at " + maxTaken);
        assertTrue(maxTaken > 2, "it read past the requests in hand (peak " + maxTaken + ")");
        assertTrue(maxAdmitted <= 16, "images admitted into batches peaked at " + maxAdmitted);
        assertTrue(pausedSeen, "the consumer's partitions were paused while the worker was full");
    }

    /** When the batch holding the first images of {@code id} started (its STARTED event). */
    private Instant startedAt(String id) {
        return Instant.parse(kafka.awaitStatus(id, "STARTED").body().get("startedAt").asText());
    }

    /** Steps of the floods' requests: a batch long enough that the consumer reads past the flood meanwhile. */
    static final int FLOOD_STEPS = 5;

    /** Sends a flood of {@code n} full-batch requests of {@code tenant} (normal class), slow enough to queue up. */
    private List<String> flood(String name, String tenant, int n) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String id = id(name + "-" + i);
            ids.add(id);
            ObjectNode r = request(id).put("label", "bag").put("count", 16).put("steps", FLOOD_STEPS)
                    .put("tenant", tenant);
            r.putArray("events").add("started");
            kafka.send(id, r.toString());
        }
        return ids;
    }

    /**
     * Another tenant's request behind a flood is read past it and leads the next batch: at most the batch in hand
     * when it came (and one more, for the time the consumer took to read past the flood) starts before it.
     */
    @Test
    void aRequestBehindAnotherTenantsFloodLeadsTheNextBatch() throws Exception {
        List<String> flood = flood("flood-a", "tenant-a", 4);
        String lone = id("lone-b");
        ObjectNode r = request(lone).put("label", "coat").put("count", 2).put("steps", FLOOD_STEPS);
        r.putArray("events").add("started");
        kafka.send(lone, r.toString(), Map.of("tenant", "tenant-b")); // the tenant from the record header
        kafka.await(flood, 2);
        Instant loneStarted = startedAt(lone);
        long before = flood.stream().filter(id -> startedAt(id).isBefore(loneStarted)).count();
        assertTrue(before <= 2, before + " of the flood's 4 requests started before the lone request");
        assertEquals("COMPLETED", kafka.awaitTerminal(lone).status());
    }

    /** A high request sent after a flood of normal ones starts before every one of them that had not started. */
    @Test
    void aHighRequestSentAfterAFloodGoesBeforeTheNormalRequestsWaiting() throws Exception {
        List<String> flood = flood("flood-n", "tenant-a", 4);
        String high = id("high");
        ObjectNode r = request(high).put("label", "coat").put("count", 2).put("steps", FLOOD_STEPS).put("priority", "high")
                .put("tenant", "tenant-a");
        r.putArray("events").add("started");
        kafka.send(high, r.toString());
        kafka.await(flood, 2);
        Instant highStarted = startedAt(high);
        long before = flood.stream().filter(id -> startedAt(id).isBefore(highStarted)).count();
        assertTrue(before <= 2, before + " of the 4 normal requests started before the high request");
        TestKafka.Event done = kafka.awaitTerminal(high);
        assertEquals("COMPLETED", done.status());
        long finishedBefore = flood.stream().filter(id -> Instant.parse(kafka.awaitTerminal(id).body()
                .get("finishedAt").asText()).isBefore(Instant.parse(done.body().get("finishedAt").asText()))).count();
        assertTrue(finishedBefore <= before, "only requests started before it finished before it");
    }

    @Test
    void aBadPriorityOrTenantIsRefusedNamingTheField() throws Exception {
        String priority = id("bad-priority");
        kafka.send(priority, request(priority).put("priority", "urgent").toString());
        String tenant = id("bad-tenant");
        kafka.send(tenant, request(tenant).put("tenant", "a/b").toString());
        String header = id("bad-tenant-header");
        kafka.send(header, request(header).toString(), Map.of("tenant", ""));
        TestKafka.Event p = kafka.awaitTerminal(priority);
        assertEquals("INVALID_REQUEST", p.errorCode());
        assertTrue(p.body().get("error").get("message").asText().contains("priority"), p.body().toString());
        TestKafka.Event t = kafka.awaitTerminal(tenant);
        assertEquals("INVALID_REQUEST", t.errorCode());
        assertTrue(t.body().get("error").get("message").asText().contains("tenant"), t.body().toString());
        TestKafka.Event h = kafka.awaitTerminal(header);
        assertEquals("INVALID_REQUEST", h.errorCode());
        assertTrue(h.body().get("error").get("message").asText().contains("header 'tenant'"), h.body().toString());
    }

    /**
     * The consume path cannot be stopped by a record: {@value #FUZZED} generated records (extreme numbers, wrong types,
     * huge, deeply nested, odd Unicode, absurd dates, raw bytes), each followed by a valid request, each get exactly
     * one event (matched by the record it names in its source), the valid ones COMPLETED, and every offset is
     * committed.
     */
    @Test
    void fuzzedRecordsEachGetExactlyOneEventAndTheValidOnesAfterThemComplete() throws Exception {
        List<String> values = FuzzedRecords.values().sampleStream().limit(FUZZED).toList();
        Map<Long, String> fuzzedAt = new HashMap<>();
        Map<String, Long> validAt = new HashMap<>();
        List<String> labels = List.of("t-shirt/top", "trouser", "bag", "sneaker", "coat");
        for (int i = 0; i < values.size(); i++) {
            String fuzzId = id("fz-" + i);
            fuzzedAt.put(kafka.sendAt(null, FuzzedRecords.bytes(values.get(i), fuzzId)), values.get(i));
            String ok = id("ok-" + i);
            ObjectNode valid = TestKafka.JSON.createObjectNode().put("requestId", ok).put("count", 1).put("steps", 1)
                    .put("seed", i).put("label", labels.get(i % labels.size()));
            validAt.put(ok, kafka.sendAt(ok, valid.toString().getBytes(StandardCharsets.UTF_8)));
        }
        Set<Long> offsets = new HashSet<>(fuzzedAt.keySet());
        offsets.addAll(validAt.values());
        Map<Long, List<TestKafka.Event>> byOffset = new HashMap<>();
        long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
        while (!byOffset.keySet().containsAll(offsets) && System.nanoTime() < deadline) {
            kafka.poll();
            byOffset = eventsByRecordOffset();
        }
        // A little longer, so that a second event for any record would show.
        for (int i = 0; i < 5; i++) {
            kafka.poll();
        }
        byOffset = eventsByRecordOffset();
        for (long offset : offsets) {
            List<TestKafka.Event> events = byOffset.getOrDefault(offset, List.of());
            String what = fuzzedAt.containsKey(offset) ? "fuzzed record " + shortened(fuzzedAt.get(offset))
                    : "valid request at " + offset;
            assertEquals(1, events.size(), what + " got " + events.size() + " event(s): " + events);
        }
        for (Map.Entry<String, Long> v : validAt.entrySet()) {
            TestKafka.Event e = byOffset.get(v.getValue()).get(0);
            assertEquals("COMPLETED", e.status(), v.getKey() + ": " + e.body());
        }
        awaitAllCommitted();
    }

    /** The events of this test's records by the offset of the record each answers (every event names it). */
    private Map<Long, List<TestKafka.Event>> eventsByRecordOffset() {
        Map<Long, List<TestKafka.Event>> byOffset = new HashMap<>();
        for (TestKafka.Event e : kafka.all()) {
            JsonNode source = e.body().path("source");
            if (source.isObject() && WorkerTestConfig.REQUESTS.equals(source.path("topic").asText())) {
                byOffset.computeIfAbsent(source.path("offset").asLong(), k -> new ArrayList<>()).add(e);
            }
        }
        return byOffset;
    }

    private static String shortened(String value) {
        return value.length() > 200 ? value.substring(0, 200) + "..." : value;
    }

    @Test
    void readinessAndMetricsAreExposed() throws Exception {
        String id = id("metrics");
        kafka.send(id, request(id).put("label", "shirt").toString());
        kafka.await(id);

        HttpResponse<String> ready = HTTP.send(HttpRequest.newBuilder(readiness.toURI()).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, ready.statusCode(), ready.body());
        assertTrue(ready.body().contains("diffusion-worker"), ready.body());
        assertTrue(ready.body().contains("generation-requests"), "Kafka's readiness is part of it: " + ready.body());

        String text = HTTP.send(HttpRequest.newBuilder(metrics.toURI()).build(), HttpResponse.BodyHandlers.ofString())
                .body();
        for (String name : List.of("diffusion_requests_total{code=\"none\",outcome=\"completed\"",
                "diffusion_images_generated_total", "diffusion_batch_images_bucket", "diffusion_queue_delay_seconds",
                "diffusion_queue_depth_images", "diffusion_pending_images", "diffusion_sampling_step_seconds",
                "diffusion_request_latency_seconds", "diffusion_upload_seconds",
                "kafka_consumer_fetch_manager_records_lag_max")) {
            assertTrue(text.contains(name), name + " missing from /q/metrics");
        }
        // Per-partition lag is read every 5 s: wait for the first reading.
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        String lag = "diffusion_kafka_records_lag{partition=\"0\",topic=\"" + WorkerTestConfig.REQUESTS + "\"}";
        while (!text.contains(lag) && System.nanoTime() < deadline) {
            kafka.poll();
            text = HTTP.send(HttpRequest.newBuilder(metrics.toURI()).build(), HttpResponse.BodyHandlers.ofString())
                    .body();
        }
        assertTrue(text.contains(lag), lag + " missing from /q/metrics");
    }

    private byte[] download(String url) throws Exception {
        HttpResponse<byte[]> response = HTTP.send(HttpRequest.newBuilder(URI.create(url)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, response.statusCode(), "GET " + url);
        return response.body();
    }

    private double metric(String name) throws Exception {
        return TestKafka.metric(metrics, name);
    }

    /** The worker's group has committed every request record (the throttled commit runs every 500 ms here). */
    private void awaitAllCommitted() throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
            TopicPartition partition = new TopicPartition(WorkerTestConfig.REQUESTS, 0);
            long end = admin.listOffsets(Map.of(partition, OffsetSpec.latest())).partitionResult(partition).get()
                    .offset();
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            long committed = -1;
            while (System.nanoTime() < deadline) {
                OffsetAndMetadata c = admin.listConsumerGroupOffsets("diffusion-worker").partitionsToOffsetAndMetadata()
                        .get().get(partition);
                committed = c == null ? -1 : c.offset();
                if (committed >= end) {
                    return;
                }
                kafka.poll();
            }
            assertNotNull(null, "committed offset " + committed + " never reached the end " + end);
        }
    }
}
