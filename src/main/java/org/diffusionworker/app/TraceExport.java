package org.diffusionworker.app;

import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.quarkus.arc.lookup.LookupUnlessProperty;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.util.Collection;

/**
 * Exporting is off unless {@code diffusionworker.tracing.exporter=otlp}. The SDK stays on either way: a request's
 * {@code traceparent} is continued and every event carries one, which needs real spans.
 *
 * <p>How: Quarkus replaces its OTLP exporter with the {@code SpanExporter} beans of the application when there are any
 * (which is also how the tests' in-memory exporter takes its place), and its OTLP exporter cannot be switched off at
 * run time otherwise (an empty endpoint falls back to {@code localhost:4317}, quarkusio/quarkus#44200). So this bean,
 * which drops every span, is there unless the property says {@code otlp}; then Quarkus's OTLP exporter is used, with
 * the endpoint and options of {@code quarkus.otel.exporter.otlp.*}.
 */
@ApplicationScoped
public class TraceExport {

    static final String NONE = "none";
    static final String OTLP = "otlp";

    @Produces
    @Singleton
    @LookupUnlessProperty(name = "diffusionworker.tracing.exporter", stringValue = OTLP, lookupIfMissing = true)
    SpanExporter dropping() {
        return new Dropping();
    }

    /** Takes every span and keeps none. */
    static final class Dropping implements SpanExporter {
        @Override
        public CompletableResultCode export(Collection<SpanData> spans) {
            return CompletableResultCode.ofSuccess();
        }

        @Override
        public CompletableResultCode flush() {
            return CompletableResultCode.ofSuccess();
        }

        @Override
        public CompletableResultCode shutdown() {
            return CompletableResultCode.ofSuccess();
        }

        @Override
        public String toString() {
            return "TraceExport.Dropping (diffusionworker.tracing.exporter=none)";
        }
    }
}
