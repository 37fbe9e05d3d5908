package org.diffusionworker.messaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.diffusionworker.testing.EmbeddedInfrastructureResource;
import org.diffusionworker.testing.TestKafka;
import org.diffusionworker.testing.WorkerTestConfig;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * One trace per request, through the embedded Kafka broker and S3 server: a request's {@code traceparent} is continued
 * by every stage's span, a shared batch links to each of its requests, and every event carries a {@code traceparent}
 * (and {@code ce_traceparent}) of the request's trace. The spans are read from an in-memory exporter
 * ({@link InMemorySpans}).
 */
@Tag("quarkus")
@QuarkusTest
@WithTestResource(value = EmbeddedTracingTest.Infrastructure.class, scope = TestResourceScope.RESTRICTED_TO_CLASS)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EmbeddedTracingTest {

    /** The embedded infrastructure, with spans handed to the exporter every 50 ms instead of every 5 s. */
    public static class Infrastructure extends EmbeddedInfrastructureResource {
        @Override
        public Map<String, String> start() {
            Map<String, String> config = new HashMap<>(super.start());
            config.put("quarkus.otel.bsp.schedule.delay", "50ms");
            return config;
        }
    }

    private static final Duration SPANS_WAIT = Duration.ofSeconds(30);
    private static final SecureRandom RANDOM = new SecureRandom();
    static final String PROCESS = "process " + WorkerTestConfig.REQUESTS;
    static final String PUBLISH = "publish " + WorkerTestConfig.EVENTS;
    /** The spans of a request's own trace, besides the batch (a trace of its own). */
    static final Set<String> REQUEST_SPANS = Set.of(PROCESS, "look-up", "queued", "sampling", "encode", "upload",
            PUBLISH);

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    @Inject
    InMemorySpanExporter spans;

    private TestKafka kafka;
    private final String run = UUID.randomUUID().toString().substring(0, 8);

    @BeforeAll
    void connect() {
        kafka = new TestKafka(bootstrapServers);
    }

    @AfterAll
    void disconnect() {
        kafka.close();
    }

    /** A producer's span context, sampled. */
    private static SpanContext producerSpan() {
        byte[] trace = new byte[16];
        byte[] span = new byte[8];
        RANDOM.nextBytes(trace);
        RANDOM.nextBytes(span);
        return SpanContext.create(HexFormat.of().formatHex(trace), HexFormat.of().formatHex(span),
                io.opentelemetry.api.trace.TraceFlags.getSampled(), io.opentelemetry.api.trace.TraceState.getDefault());
    }

    private static String traceparent(SpanContext context) {
        return "00-" + context.getTraceId() + "-" + context.getSpanId() + "-01";
    }

    private static ObjectNode request(String id) {
        return TestKafka.JSON.createObjectNode().put("requestId", id).put("label", "bag").put("steps", 5)
                .put("count", 2).put("seed", 3);
    }

    @Test
    void requestsWithTraceparentAreContinuedThroughEveryStageAndTheirSharedBatchLinksToBoth() {
        String first = "traced-1-" + run;
        String second = "traced-2-" + run;
        SpanContext firstProducer = producerSpan();
        SpanContext secondProducer = producerSpan();
        kafka.send(first, request(first).set("events", TestKafka.JSON.createArrayNode().add("started")
                .add("progress")).toString(), Map.of("traceparent", traceparent(firstProducer),
                        "tracestate", "shop=7"));
        kafka.send(second, request(second).toString(), Map.of("traceparent", traceparent(secondProducer)));

        Map<String, TestKafka.Event> completed = Map.of(first, kafka.awaitTerminal(first),
                second, kafka.awaitTerminal(second));
        assertEquals(2, completed.get(first).body().path("batches").path(0).path("requests").asInt(),
                "the two requests shared a batch: " + completed.get(first).body());

        // Every event of the first request carries its trace; the terminal one also its tracestate.
        List<TestKafka.Event> events = kafka.eventsOf(first);
        assertTrue(events.stream().map(TestKafka.Event::status).collect(Collectors.toSet())
                .containsAll(Set.of("STARTED", "PROGRESS", "COMPLETED")), events.toString());
        for (TestKafka.Event e : events) {
            assertEquals(firstProducer.getTraceId(), traceIdOf(e.headers().get("traceparent")), e.toString());
            assertEquals(e.headers().get("traceparent"), e.headers().get("ce_traceparent"), e.toString());
        }
        TestKafka.Event firstDone = completed.get(first);
        assertEquals("shop=7", firstDone.headers().get("tracestate"));
        assertEquals("shop=7", firstDone.headers().get("ce_tracestate"));
        TestKafka.Event secondDone = completed.get(second);
        assertEquals(secondProducer.getTraceId(), traceIdOf(secondDone.headers().get("traceparent")));
        assertEquals(secondDone.headers().get("traceparent"), secondDone.headers().get("ce_traceparent"));

        Map<String, SpanData> firstSpans = awaitTrace(firstProducer.getTraceId());
        Map<String, SpanData> secondSpans = awaitTrace(secondProducer.getTraceId());
        for (Map<String, SpanData> trace : List.of(firstSpans, secondSpans)) {
            SpanData process = trace.get(PROCESS);
            assertEquals(SpanKind.CONSUMER, process.getKind());
            for (String stage : REQUEST_SPANS) {
                if (!stage.equals(PROCESS)) {
                    assertEquals(process.getSpanId(), trace.get(stage).getParentSpanId(),
                            stage + " is a child of the request's span");
                }
            }
            assertEquals(SpanKind.PRODUCER, trace.get(PUBLISH).getKind());
        }
        assertEquals(firstProducer.getSpanId(), firstSpans.get(PROCESS).getParentSpanId(),
                "the request's span is a child of the producer's");
        assertEquals(secondProducer.getSpanId(), secondSpans.get(PROCESS).getParentSpanId());
        // The event's traceparent names its publish span.
        assertEquals(firstSpans.get(PUBLISH).getSpanId(), spanIdOf(firstDone.headers().get("traceparent")));
        assertEquals(secondSpans.get(PUBLISH).getSpanId(), spanIdOf(secondDone.headers().get("traceparent")));

        // The batch: a trace of its own, linked to both requests; each request's sampling span links to it.
        SpanContext batchOfFirst = onlyLink(firstSpans.get("sampling"));
        assertEquals(batchOfFirst, onlyLink(secondSpans.get("sampling")), "one batch for both");
        SpanData batch = spans.getFinishedSpanItems().stream()
                .filter(s -> s.getSpanContext().equals(batchOfFirst)).findFirst().orElseThrow();
        assertEquals("batch", batch.getName());
        assertFalse(batch.getParentSpanContext().isValid(), "a batch has no single parent");
        Set<SpanContext> linked = batch.getLinks().stream().map(LinkData::getSpanContext).collect(Collectors.toSet());
        assertEquals(Set.of(firstSpans.get(PROCESS).getSpanContext(), secondSpans.get(PROCESS).getSpanContext()),
                linked);
        assertEquals(4L, batch.getAttributes().get(io.opentelemetry.api.common.AttributeKey.longKey(
                "diffusion.batch.images")));
    }

    @Test
    void requestsWithoutTraceparentGetAFreshTraceAndEveryOtherRecordStillCarriesItsTrace() throws Exception {
        String plain = "untraced-" + run;
        kafka.send(plain, request(plain).toString());
        TestKafka.Event done = kafka.awaitTerminal(plain);
        assertEquals("COMPLETED", done.status());
        String traceId = traceIdOf(done.headers().get("traceparent"));
        assertFalse(traceId.matches("0+"), done.headers().toString());
        assertEquals(done.headers().get("traceparent"), done.headers().get("ce_traceparent"));
        Map<String, SpanData> trace = awaitTrace(traceId);
        assertFalse(trace.get(PROCESS).getParentSpanContext().isValid(), "a new trace starts at the request");

        // A producer that did not sample its trace: passed on as it came, nothing recorded here.
        String unsampled = "unsampled-" + run;
        SpanContext notSampled = producerSpan();
        kafka.send(unsampled, request(unsampled).toString(), Map.of("traceparent",
                "00-" + notSampled.getTraceId() + "-" + notSampled.getSpanId() + "-00"));
        TestKafka.Event unsampledDone = kafka.awaitTerminal(unsampled);
        assertEquals(notSampled.getTraceId(), traceIdOf(unsampledDone.headers().get("traceparent")));
        assertTrue(unsampledDone.headers().get("traceparent").endsWith("-00"), unsampledDone.headers().toString());

        // A record that is not even JSON: its FAILED event and its dead letter carry the producer's trace too.
        String broken = "broken-" + run;
        SpanContext producer = producerSpan();
        kafka.send(broken, "{not json", Map.of("traceparent", traceparent(producer)));
        TestKafka.Event failed = kafka.awaitTerminal(broken);
        assertEquals("FAILED", failed.status());
        assertEquals(producer.getTraceId(), traceIdOf(failed.headers().get("traceparent")));
        assertEquals(failed.headers().get("traceparent"), failed.headers().get("ce_traceparent"));
        try (KafkaConsumer<String, byte[]> deadLetters = TestKafka.deadLetterReader(bootstrapServers)) {
            String deadTrace = null;
            long deadline = System.nanoTime() + TestKafka.WAIT.toNanos();
            while (deadTrace == null && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> r : deadLetters.poll(Duration.ofMillis(200))) {
                    if (broken.equals(r.key()) && r.headers().lastHeader("traceparent") != null) {
                        deadTrace = new String(r.headers().lastHeader("traceparent").value());
                    }
                }
            }
            assertNotNull(deadTrace, "the dead letter of " + broken + " carries a traceparent");
            assertEquals(producer.getTraceId(), traceIdOf(deadTrace));
        }
        Map<String, SpanData> failedTrace = awaitSpans(producer.getTraceId(), Set.of(PROCESS, PUBLISH));
        assertEquals("FAILED", failedTrace.get(PROCESS).getAttributes().get(
                io.opentelemetry.api.common.AttributeKey.stringKey("diffusion.outcome")));
        // By now the unsampled request's spans would have been exported too, had they been recorded.
        assertTrue(spans.getFinishedSpanItems().stream().noneMatch(s -> s.getTraceId().equals(notSampled.getTraceId())),
                "nothing recorded of a trace its producer did not sample");
    }

    private static String traceIdOf(String traceparent) {
        assertNotNull(traceparent, "a traceparent header");
        String[] parts = traceparent.split("-");
        assertEquals(4, parts.length, traceparent);
        return parts[1];
    }

    private static String spanIdOf(String traceparent) {
        return traceparent.split("-")[2];
    }

    private static SpanContext onlyLink(SpanData span) {
        assertEquals(1, span.getLinks().size(), span.toString());
        return span.getLinks().get(0).getSpanContext();
    }

    /** Waits for every span of a request's trace; returns them by name. */
    private Map<String, SpanData> awaitTrace(String traceId) {
        return awaitSpans(traceId, REQUEST_SPANS);
    }

    private Map<String, SpanData> awaitSpans(String traceId, Set<String> names) {
        long deadline = System.nanoTime() + SPANS_WAIT.toNanos();
        while (true) {
            Map<String, SpanData> byName = new HashMap<>();
            for (SpanData s : spans.getFinishedSpanItems()) {
                if (s.getTraceId().equals(traceId)) {
                    SpanData before = byName.put(s.getName(), s);
                    assertTrue(before == null, "one " + s.getName() + " span per trace: " + before + " and " + s);
                }
            }
            if (byName.keySet().containsAll(names)) {
                return byName;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("trace " + traceId + " has " + byName.keySet() + ", not all of " + names);
            }
            kafka.poll(); // paces the loop (up to 200 ms)
        }
    }
}
