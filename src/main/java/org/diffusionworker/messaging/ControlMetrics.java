package org.diffusionworker.messaging;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** The control reader's figures: control records it could not read, and how long a cancel took to be answered. */
final class ControlMetrics {

    private final Timer cancelLatency;
    private final Counter invalid;

    ControlMetrics(MeterRegistry registry) {
        this.cancelLatency = Timer.builder("diffusion.cancel.latency").description("From a cancel record's timestamp"
                        + " to the CANCELED event handed to Kafka").publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofMinutes(1))
                .register(registry);
        this.invalid = Counter.builder("diffusion.control.records.invalid").description("Control records that could"
                + " not be read (logged and skipped)").register(registry);
    }

    /** From a cancel record's timestamp to the CANCELED event handed to Kafka. */
    void cancelAnswered(long nanos) {
        cancelLatency.record(nanos, TimeUnit.NANOSECONDS);
    }

    /** A control record that could not be read (logged and skipped). */
    void invalidControlRecord() {
        invalid.increment();
    }
}
