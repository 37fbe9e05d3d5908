package org.diffusionworker.loadgen;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/** The CSV files of a load run: {@code events.csv} (one row per request) and {@code lag.csv} (one row per sample). */
final class LoadCsv {

    private LoadCsv() {}

    static String events(LoadResults results) {
        StringBuilder csv = new StringBuilder("id,label,count,sampler,steps,sent_ms,event_ms,latency_ms,status,"
                + "error_code,queued_ms,sampling_ms,upload_ms,end_to_end_ms,batch_images,batch_requests,events,"
                + "tenant,priority,batches\n");
        for (LoadResults.Entry e : results.entries()) {
            LoadRequest r = e.request();
            LoadResults.Arrival a = e.answer();
            JsonNode event = a == null ? null : a.event();
            String status = e.sendError() != null ? "SEND_ERROR" : !e.sent() ? "NOT_SENT" : a == null ? "MISSING"
                    : a.status();
            JsonNode steps = event == null ? null : event.path("parameters").path("steps");
            JsonNode batch = event == null ? null : event.path("batches").path(0);
            List<String> cells = List.of(r.id(), r.label(), Integer.toString(r.count()), r.sampler(),
                    steps != null && steps.isNumber() ? steps.asText() : r.steps() == null ? "" : r.steps().toString(),
                    e.sent() ? Long.toString(epoch(results, e.sentMs())) : "",
                    a == null ? "" : Long.toString(epoch(results, a.atMs())),
                    Double.isNaN(e.latencyMs()) ? "" : LoadReport.fixed(e.latencyMs(), 1),
                    status,
                    a == null || a.completed() ? "" : a.errorCode(),
                    timing(a, "queuedMs"), timing(a, "samplingMs"), timing(a, "uploadMs"), timing(a, "endToEndMs"),
                    batch == null || batch.isMissingNode() ? "" : batch.path("images").asText(),
                    batch == null || batch.isMissingNode() ? "" : batch.path("requests").asText(),
                    Integer.toString(e.events().size()),
                    r.tenant() == null ? "" : r.tenant(), r.priority() == null ? "" : r.priority(),
                    event == null || !event.path("batches").isArray() ? "" : Integer.toString(event.path("batches").size()));
            csv.append(String.join(",", cells.stream().map(LoadCsv::csvCell).toList())).append('\n');
        }
        return csv.toString();
    }

    static String lag(LoadResults results) {
        StringBuilder csv = new StringBuilder("seconds,epoch_ms,lag,sent,answered\n");
        for (LoadResults.LagSample s : results.lag()) {
            csv.append(LoadReport.fixed(s.atMs() / 1000, 3)).append(',').append(epoch(results, s.atMs())).append(',')
                    .append(s.lag() < 0 ? "" : Long.toString(s.lag())).append(',').append(s.sent()).append(',')
                    .append(s.answered()).append('\n');
        }
        return csv.toString();
    }

    private static long epoch(LoadResults results, double ms) {
        return results.startEpochMs() + Math.round(ms);
    }

    private static String timing(LoadResults.Arrival a, String name) {
        double v = a == null ? Double.NaN : a.timing(name);
        return Double.isNaN(v) ? "" : Long.toString((long) v);
    }

    private static String csvCell(String value) {
        return value.contains(",") || value.contains("\"") || value.contains("\n")
                ? "\"" + value.replace("\"", "\"\"") + "\"" : value;
    }
}
