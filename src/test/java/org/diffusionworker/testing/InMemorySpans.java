package org.diffusionworker.testing;

import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/**
 * The spans of every {@code @QuarkusTest} application, kept in memory: a {@code SpanExporter} bean takes the place of
 * Quarkus's OTLP exporter (as the Quarkus OpenTelemetry guide describes for tests).
 */
@ApplicationScoped
public class InMemorySpans {

    @Produces
    @Singleton
    InMemorySpanExporter inMemorySpanExporter() {
        return InMemorySpanExporter.create();
    }
}
