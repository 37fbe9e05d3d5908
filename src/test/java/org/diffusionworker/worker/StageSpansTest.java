package org.diffusionworker.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.diffusionworker.generation.GenerationEngine;
import org.diffusionworker.model.ModelLoader;
import org.diffusionworker.storage.MinioObjectStore;
import org.diffusionworker.storage.ObjectKeys;
import org.junit.jupiter.api.Test;

/**
 * The worker's stage spans without Kafka: children of the context the request was submitted in, a batch that failed
 * and was retried marked as the error it was (and the request's share of it), the request itself completing.
 */
class StageSpansTest {

    @Test
    void stagesAreChildrenOfTheSubmittingContextAndAFailedBatchIsAnErrorSpan() throws Exception {
        InMemorySpanExporter exported = InMemorySpanExporter.create();
        FlakyModel model = new FlakyModel(ModelLoader.fromDirectory(GenerationWorkerTest.MODEL, Device.cpu()));
        WorkerSettings settings = WorkerSettings.defaults().withSamplingRetry(3, Duration.ofMillis(50));
        try (SdkTracerProvider tracing = SdkTracerProvider.builder()
                     .addSpanProcessor(SimpleSpanProcessor.create(exported)).build();
             org.diffusionworker.embedded.EmbeddedS3Server s3 = org.diffusionworker.embedded.EmbeddedS3Server
                     .builder(java.nio.file.Files.createTempDirectory("stage-spans-")).build().start();
             MinioObjectStore store = new MinioObjectStore(GenerationWorkerTest.storeSettings(s3, "spans"));
             GenerationWorker worker = new GenerationWorker(settings, List.of(new GenerationEngine(model)), store,
                     new ObjectKeys("generations"), WorkerListener.NONE, tracing.get("test"))) {
            worker.start();
            assertTrue(worker.awaitWarm(GenerationWorkerTest.WAIT));
            model.failNext(1);
            Span request = tracing.get("test").spanBuilder("request").startSpan();
            GenerationWorkerTest.Answers answers = new GenerationWorkerTest.Answers();
            try (Scope ignored = request.makeCurrent()) {
                worker.submit(GenerationWorkerTest.request("coat", 2), answers);
            }
            assertInstanceOf(Outcome.Completed.class, answers.one());
            request.end();

            List<SpanData> spans = exported.getFinishedSpanItems();
            List<SpanData> ofRequest = spans.stream()
                    .filter(s -> s.getTraceId().equals(request.getSpanContext().getTraceId())).toList();
            Set<String> names = ofRequest.stream().map(SpanData::getName).collect(Collectors.toSet());
            assertEquals(Set.of("request", StageSpans.LOOK_UP, StageSpans.QUEUED, StageSpans.SAMPLING,
                    StageSpans.ENCODE, StageSpans.UPLOAD), names);
            ofRequest.stream().filter(s -> !s.getName().equals("request")).forEach(s -> assertEquals(
                    request.getSpanContext().getSpanId(), s.getParentSpanId(), s.getName() + " is the request's"));

            List<SpanData> batches = spans.stream().filter(s -> s.getName().equals(StageSpans.BATCH)).toList();
            assertEquals(2, batches.size(), "the failed batch and its retry: " + batches);
            assertEquals(StatusCode.ERROR, batches.get(0).getStatus().getStatusCode());
            assertFalse(batches.get(0).getEvents().isEmpty(), "the exception is recorded");
            assertEquals(StatusCode.UNSET, batches.get(1).getStatus().getStatusCode());
            for (SpanData batch : batches) {
                assertFalse(batch.getParentSpanContext().isValid());
                assertEquals(List.of(request.getSpanContext()), batch.getLinks().stream()
                        .map(l -> l.getSpanContext()).toList(), "linked to the request");
            }
            List<SpanData> shares = ofRequest.stream().filter(s -> s.getName().equals(StageSpans.SAMPLING)).toList();
            assertEquals(2, shares.size());
            assertEquals(List.of(StatusCode.ERROR, StatusCode.UNSET),
                    shares.stream().map(s -> s.getStatus().getStatusCode()).toList());
            assertEquals(batches.stream().map(SpanData::getSpanContext).toList(),
                    shares.stream().map(s -> s.getLinks().get(0).getSpanContext()).toList(), "each links its batch");
        }
    }
}
