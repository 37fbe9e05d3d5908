package org.diffusionworker.messaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quarkus.test.common.http.TestHTTPResource;
import io.smallrye.reactive.messaging.kafka.KafkaClientService;
import jakarta.inject.Inject;
import java.net.URL;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.diffusionworker.testing.FuzzedRecords;
import org.diffusionworker.testing.TestKafka;
import org.diffusionworker.testing.WorkerTestConfig;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Following and steering a request through Kafka: STARTED and PROGRESS before the terminal event, cancels on the
 * control topic for running, queued, not yet fetched (while back-pressure pauses the request partitions) and finished
 * requests, and a thousand generated control records that must not stop the control reader.
 */
@Tag("quarkus")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class RequestLifecycleContract {

    static final int FUZZED_CONTROL = 1000;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    @TestHTTPResource("/q/metrics")
    URL metrics;

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

    static ObjectNode request(String id, int count, int steps) {
        ObjectNode r = TestKafka.JSON.createObjectNode();
        r.put("requestId", id).put("label", "bag").put("count", count).put("steps", steps).put("seed", 3);
        return r;
    }

    static ObjectNode following(ObjectNode request) {
        request.putArray("events").add("started").add("progress");
        return request;
    }

    @Test
    void aFollowedRequestGetsStartedThenProgressThenItsTerminalEventForDdimAndDdpm() throws Exception {
        String ddim = id("follow-ddim");
        String ddpm = id("follow-ddpm");
        kafka.send(ddim, following(request(ddim, 2, 150)).toString());
        ObjectNode d = following(request(ddpm, 2, 1));
        d.remove("steps");
        kafka.send(ddpm, d.put("sampler", "ddpm").set("attributes", TestKafka.JSON.createObjectNode().put("who", "me"))
                .toString());
        for (String id : List.of(ddim, ddpm)) {
            // DDPM-500 waits for the DDIM request's batch and then runs 500 steps: minutes on a busy 2-core machine.
            kafka.awaitTerminal(id, java.time.Duration.ofMinutes(6));
            List<TestKafka.Event> events = kafka.eventsOf(id);
            TestKafka.Event started = events.get(0);
            assertEquals("STARTED", started.status(), events.toString());
            assertEquals(EventPublisher.STARTED_TYPE, started.type());
            assertEquals(id + ":started", started.headers().get("ce_id"));
            assertEquals(id, started.headers().get("ce_subject"));
            assertEquals(1, started.body().path("schemaVersion").asInt());
            assertEquals(2, started.body().path("batch").path("images").asInt());
            assertEquals(1, started.body().path("batch").path("requests").asInt());
            assertTrue(started.body().path("queuedMs").asLong() >= 0);
            assertTrue(started.body().path("startedAt").isTextual());
            TestKafka.Event last = events.get(events.size() - 1);
            assertEquals("COMPLETED", last.status());
            assertEquals(1, events.stream().filter(TestKafka.Event::terminal).count(), "one terminal event");
            int step = 0;
            List<TestKafka.Event> progress = events.subList(1, events.size() - 1);
            assertFalse(progress.isEmpty(), "progress of a run of several seconds");
            for (TestKafka.Event p : progress) {
                assertEquals("PROGRESS", p.status());
                assertEquals(EventPublisher.PROGRESS_TYPE, p.type());
                int now = p.body().path("step").asInt();
                assertTrue(now > step, "step strictly increasing: " + now + " after " + step);
                assertEquals(id.equals(ddpm) ? 500 : 150, p.body().path("steps").asInt());
                assertTrue(p.body().path("etaMs").asLong() >= 0);
                assertEquals(id + ":progress:" + now, p.headers().get("ce_id"));
                step = now;
            }
        }
        assertEquals("me", kafka.eventsOf(ddpm).get(0).body().path("attributes").path("who").asText());
    }

    @Test
    void anUnknownEventNameIsRefusedNamingTheField() {
        String id = id("bad-events");
        ObjectNode r = request(id, 1, 1);
        r.putArray("events").add("started").add("finished");
        kafka.send(id, r.toString());
        TestKafka.Event failed = kafka.awaitTerminal(id);
        assertEquals("INVALID_REQUEST", failed.errorCode());
        assertTrue(failed.body().path("error").path("message").asText().contains("events"), failed.body().toString());
    }

    /**
     * The worker is full (its limit is one request of 16 images here), so the request partition is paused; cancels
     * still reach it: the running request leaves its batch, a queued one and one still in Kafka are answered CANCELED,
     * the rest complete, and nothing is answered twice.
     */
    @Test
    void cancelsReachAWorkerWhoseRequestPartitionIsPausedByBackPressure() throws Exception {
        List<String> ids = new ArrayList<>();
        // The first fills the batches for a long run (its images are all the worker admits); the short ones after it
        // wait taken until the worker holds as many requests as it takes and the partition pauses; the last is not
        // fetched.
        // Beyond what it takes, SmallRye buffers max.poll.records x 2 (4 here) before it pauses the partition.
        int requests = WorkerTestConfig.MAX_TAKEN + 8;
        for (int i = 0; i < requests; i++) {
            String id = id("paused-" + i);
            ids.add(id);
            kafka.send(id, following(i == 0 ? request(id, WorkerTestConfig.MAX_COUNT, 500) : request(id, 1, 2))
                    .toString());
        }
        String running = ids.get(0);
        kafka.awaitStatus(running, "STARTED");
        boolean paused = false;
        long deadline = System.nanoTime() + TestKafka.WAIT.toNanos();
        while (!paused && System.nanoTime() < deadline) {
            paused = !kafkaClients.getConsumer("generation-requests").paused().await().atMost(Duration.ofSeconds(5))
                    .isEmpty();
        }
        assertTrue(paused, "the request partition is paused while the worker is full");
        String notFetched = ids.get(requests - 1);
        kafka.cancel(running);
        kafka.cancel(notFetched);

        TestKafka.Event canceled = kafka.awaitTerminal(running);
        assertEquals("CANCELED", canceled.status(), canceled.body().toString());
        assertEquals("running", canceled.body().path("canceledWhile").asText());
        assertEquals(running + ":canceled", canceled.headers().get("ce_id"));
        assertEquals(EventPublisher.CANCELED_TYPE, canceled.type());
        TestKafka.Event early = kafka.awaitTerminal(notFetched);
        assertEquals("CANCELED", early.status());
        assertEquals("before-arrival", early.body().path("canceledWhile").asText());
        assertEquals(1, kafka.eventsOf(notFetched).size(), "nothing sampled: no STARTED");
        for (String id : ids.subList(1, requests - 1)) {
            assertEquals("COMPLETED", kafka.awaitTerminal(id).status());
        }
        kafka.pollForLateDuplicates();
        for (String id : ids) {
            assertEquals(1, kafka.eventsOf(id).stream().filter(TestKafka.Event::terminal).count(), id);
            List<TestKafka.Event> events = kafka.eventsOf(id);
            assertTrue(events.get(events.size() - 1).terminal(), "nothing after the terminal event of " + id);
        }
    }

    @Test
    void aCancelAfterCompletionChangesNothing() throws Exception {
        String id = id("late-cancel");
        kafka.send(id, request(id, 1, 2).toString());
        assertEquals("COMPLETED", kafka.awaitTerminal(id).status());
        kafka.cancel(id);
        kafka.pollForLateDuplicates();
        assertEquals(1, kafka.eventsOf(id).size(), "no event for a cancel after completion");
    }

    /**
     * The control reader cannot be stopped by a record: {@value #FUZZED_CONTROL} generated control records are
     * skipped (and counted), and a cancel sent after them still cancels.
     */
    @Test
    void generatedControlRecordsAreSkippedAndACancelAfterThemStillWorks() throws Exception {
        double invalidBefore = metric("diffusion_control_records_invalid_total");
        List<String> values = FuzzedRecords.controlValues().sampleStream().limit(FUZZED_CONTROL).toList();
        int i = 0;
        for (String value : values) {
            String key = i % 3 == 0 ? null : id("fzc-" + i);
            kafka.sendControl(key, FuzzedRecords.bytes(value, id("fzc-" + i)));
            i++;
        }
        String id = id("after-fuzz");
        kafka.send(id, following(request(id, 2, 300)).toString());
        kafka.awaitStatus(id, "STARTED");
        kafka.cancel(id);
        assertEquals("CANCELED", kafka.awaitTerminal(id).status());
        double invalid = metric("diffusion_control_records_invalid_total") - invalidBefore;
        assertTrue(invalid > FUZZED_CONTROL / 2.0, invalid + " of " + FUZZED_CONTROL + " counted as invalid");
        assertTrue(metric("diffusion_cancels_total") > 0);
        assertTrue(metric("diffusion_events_intermediate_total") > 0);
    }

    /**
     * Cancel latency through Kafka, {@value #LATENCY_CANCELS} times in a row: a running request (its STARTED seen),
     * then its cancel record; the time from sending the cancel to receiving the CANCELED event, on this machine's
     * clock. Reports figures (docs/reliability.md); run with
     * {@code ./mvnw -B test -Dtest=EmbeddedRequestLifecycleTest -DexcludedGroups=none}.
     */
    @Test
    @Tag("benchmark")
    void cancelLatencyOfRunningRequests() throws Exception {
        List<Double> millis = new ArrayList<>();
        for (int i = 0; i < LATENCY_CANCELS; i++) {
            String id = id("latency-" + i);
            kafka.send(id, following(request(id, 4, 500)).toString());
            kafka.awaitStatus(id, "STARTED");
            long sent = System.nanoTime();
            kafka.cancel(id);
            TestKafka.Event canceled = kafka.awaitTerminal(id);
            assertEquals("CANCELED", canceled.status(), canceled.body().toString());
            assertEquals("running", canceled.body().path("canceledWhile").asText());
            millis.add((canceled.receivedNanos() - sent) / 1e6);
        }
        List<Double> sorted = new ArrayList<>(millis);
        java.util.Collections.sort(sorted);
        System.out.printf(java.util.Locale.ROOT, "cancel latency over %d running requests (DDIM-500, 4 images, test"
                        + " model): median %.0f ms, p95 %.0f ms, max %.0f ms; all: %s%n", sorted.size(),
                sorted.get(sorted.size() / 2), sorted.get((int) Math.ceil(0.95 * sorted.size()) - 1),
                sorted.get(sorted.size() - 1), millis.stream().map(m -> String.format(java.util.Locale.ROOT, "%.0f",
                        m)).toList());
    }

    static final int LATENCY_CANCELS = 25;

    private double metric(String name) throws Exception {
        return TestKafka.metric(metrics, name);
    }

}
