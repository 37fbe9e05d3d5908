package org.diffusionworker.app;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * What tracing costs a request with exporting off (the default): the spans one request makes (the record's, look-up,
 * queued, its share of a batch, encode, upload, publish, plus a batch span linked to 8 requests shared among them), the
 * {@code traceparent} read and written, on the SDK as the worker runs it (parent-based always-on sampler, batch span
 * processor, an exporter that drops everything: {@link TraceExport}), against the no-op OpenTelemetry. Figures go to
 * docs/worker.md ("Tracing"); a benchmark, not an assertion.
 */
@Tag("benchmark")
class TracingCostBenchmark {

    private static final int REQUESTS = 200_000;
    private static final int ROUNDS = 5;
    private static final AttributeKey<String> ID = AttributeKey.stringKey("diffusion.request.id");
    private static final TextMapGetter<Map<String, String>> GET = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Map<String, String> carrier) {
            return carrier.keySet();
        }

        @Override
        public String get(Map<String, String> carrier, String key) {
            return carrier == null ? null : carrier.get(key);
        }
    };

    @Test
    void spansOfARequestWithExportingOff() {
        SdkTracerProvider provider = SdkTracerProvider.builder()
                .setSampler(Sampler.parentBased(Sampler.alwaysOn()))
                .addSpanProcessor(BatchSpanProcessor.builder(new TraceExport.Dropping()).build())
                .build();
        OpenTelemetry sdk = OpenTelemetrySdk.builder().setTracerProvider(provider)
                .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance())).build();
        OpenTelemetry noop = OpenTelemetry.propagating(
                ContextPropagators.create(W3CTraceContextPropagator.getInstance()));
        List<String> lines = new ArrayList<>();
        for (int round = 0; round < ROUNDS; round++) {
            long off = nanosPerRequest(noop);
            long on = nanosPerRequest(sdk);
            lines.add(String.format(Locale.ROOT,
                    "round %d: no-op %,d ns/request, SDK with exporting off %,d ns/request", round + 1, off, on));
        }
        provider.close();
        lines.forEach(l -> System.getLogger(TracingCostBenchmark.class.getName()).log(Level.INFO, l));
    }

    private static long nanosPerRequest(OpenTelemetry otel) {
        Tracer tracer = otel.getTracer("benchmark");
        var propagator = otel.getPropagators().getTextMapPropagator();
        Map<String, String> incoming = Map.of("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
        long start = System.nanoTime();
        long sink = 0;
        for (int i = 0; i < REQUESTS; i++) {
            Context parent = propagator.extract(Context.root(), incoming, GET);
            Span process = tracer.spanBuilder("process generation-requests").setParent(parent)
                    .setSpanKind(SpanKind.CONSUMER).setAttribute("messaging.system", "kafka")
                    .setAttribute("messaging.kafka.offset", (long) i).setAttribute(ID, "r").startSpan();
            Context trace = parent.with(process);
            for (String stage : new String[] {"look-up", "queued", "encode", "upload"}) {
                tracer.spanBuilder(stage).setParent(trace).setAttribute(ID, "r").startSpan().end();
            }
            if (i % 8 == 0) {
                var batch = tracer.spanBuilder("batch").setNoParent().setAttribute("diffusion.batch.images", 64L);
                for (int link = 0; link < 8; link++) {
                    batch.addLink(process.getSpanContext());
                }
                batch.startSpan().end();
            }
            tracer.spanBuilder("sampling").setParent(trace).addLink(process.getSpanContext()).startSpan().end();
            Span publish = tracer.spanBuilder("publish generation-events").setParent(trace)
                    .setSpanKind(SpanKind.PRODUCER).startSpan();
            Map<String, String> headers = new HashMap<>();
            propagator.inject(trace.with(publish), headers, Map::put);
            propagator.inject(trace, headers, Map::put);
            sink += headers.size();
            publish.end();
            process.end();
        }
        long elapsed = System.nanoTime() - start;
        if (sink == 0) {
            throw new AssertionError("no headers written");
        }
        return elapsed / REQUESTS;
    }
}
