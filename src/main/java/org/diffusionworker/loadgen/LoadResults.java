package org.diffusionworker.loadgen;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * What one load run saw, times in milliseconds since the run started (just before the first send) on loadgen's own
 * monotonic clock; {@code startEpochMs} anchors them to the wall clock.
 *
 * @param entries    one per planned request, in order
 * @param lag        the consumer group's lag, about once a second
 * @param ending     why collecting stopped ("all answered", "timeout ...")
 */
record LoadResults(String run, long startEpochMs, List<Entry> entries, List<LagSample> lag, String ending) {

    /**
     * One request: when it was sent (NaN when it was not), why sending failed (null when it did not), and every event
     * that answered it, in arrival order.
     */
    record Entry(LoadRequest request, double sentMs, String sendError, List<Arrival> events) {

        boolean sent() {
            return !Double.isNaN(sentMs) && sendError == null;
        }

        /** The first event, or null. */
        Arrival answer() {
            return events.isEmpty() ? null : events.get(0);
        }

        /** First event's arrival minus the send, or NaN. */
        double latencyMs() {
            return sent() && answer() != null ? answer().atMs() - sentMs : Double.NaN;
        }
    }

    /** An event as it arrived at loadgen. */
    record Arrival(double atMs, JsonNode event) {

        String status() {
            return event.path("status").asText("UNREADABLE");
        }

        boolean completed() {
            return "COMPLETED".equals(status());
        }

        /** The FAILED event's error code ("-" for a COMPLETED one). */
        String errorCode() {
            return completed() ? "-" : event.path("error").path("code").asText("UNKNOWN");
        }

        /** {@code timings.<name>} of a COMPLETED event, or NaN. */
        double timing(String name) {
            JsonNode t = event.path("timings").path(name);
            return t.isNumber() ? t.asDouble() : Double.NaN;
        }
    }

    /** The group's lag at one moment ({@code -1} when Kafka did not say), with the counts at that moment. */
    record LagSample(double atMs, long lag, int sent, int answered) {}
}
