package org.diffusionworker.app;

import io.smallrye.config.WithDefault;
import jakarta.validation.constraints.Pattern;

/** {@code diffusionworker.tracing.*}: where the worker's spans go (a part of {@link WorkerConfig}). */
public interface TracingConfig {
    /**
     * Where the spans go: {@code none} (recorded and dropped; a request's traceparent is still continued and every
     * event still carries one) or {@code otlp} (Quarkus's OTLP exporter, {@code quarkus.otel.exporter.otlp.*}).
     */
    @WithDefault(TraceExport.NONE)
    @Pattern(regexp = TraceExport.NONE + "|" + TraceExport.OTLP, message = "must be none or otlp")
    String exporter();
}
