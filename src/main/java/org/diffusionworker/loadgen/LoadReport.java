package org.diffusionworker.loadgen;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * The figures of a load run and the files that show them: {@code report.md} (markdown tables and the command line),
 * {@code events.csv} (one row per request), {@code lag.csv} and the plots of {@link LoadReportPlots}.
 */
final class LoadReport {

    static final String REPORT = "report.md";
    static final String EVENTS_CSV = "events.csv";
    static final String LAG_CSV = "lag.csv";
    static final String LATENCY_PLOT = "latency-over-time.png";
    static final String LAG_PLOT = "lag-over-time.png";
    static final String HISTOGRAM_PLOT = "latency-histogram.png";

    /** The worker's own timings in a COMPLETED event, in the order shown. */
    static final List<String> WORKER_TIMINGS = List.of("queuedMs", "samplingMs", "uploadMs", "endToEndMs");

    /** Nearest-rank percentiles of some values. */
    record Stats(int n, double p50, double p90, double p99, double max, double mean) {

        static Stats of(double[] values) {
            double[] v = Arrays.stream(values).filter(Double::isFinite).sorted().toArray();
            if (v.length == 0) {
                return new Stats(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
            }
            return new Stats(v.length, percentile(v, 50), percentile(v, 90), percentile(v, 99), v[v.length - 1],
                    Arrays.stream(v).average().orElse(Double.NaN));
        }

        /** The smallest value with at least p% of the values at or below it ({@code sorted} ascending). */
        static double percentile(double[] sorted, double p) {
            int rank = (int) Math.ceil(p / 100 * sorted.length);
            return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
        }
    }

    /**
     * Batches of one size, seen through the events: each COMPLETED event lists the batches that held its images with
     * how many requests shared each, so a batch shared by k requests is seen k times and counts 1/k per sighting.
     *
     * @param images      images in the batch (all requests)
     * @param batches     estimated number of such batches
     * @param sightings   requests' slots in them (the sum of their requests)
     */
    record BatchSize(int images, double batches, int sightings) {

        double meanRequests() {
            return batches > 0 ? sightings / batches : Double.NaN;
        }
    }

    private final LoadResults results;
    private final LoadPlan plan;
    private final LoadRun.Settings settings;
    private final String commandLine;

    final int planned;
    final int sent;
    final int sendErrors;
    final int completed;
    final int failed;
    final Map<String, Integer> failedByCode = new TreeMap<>();
    final int missing;
    final int duplicates;
    final int deduplicated;
    final long completedImages;
    final double firstSentMs;
    final double lastSentMs;
    final double lastAnswerMs;
    final Stats latencyCompleted;
    final Stats latencyFailed;
    final Map<String, Stats> workerTimings = new LinkedHashMap<>();
    final List<BatchSize> batchSizes;
    final long maxLag;
    final long endLag;

    LoadReport(LoadResults results, LoadPlan plan, LoadRun.Settings settings, String commandLine) {
        this.results = results;
        this.plan = plan;
        this.settings = settings;
        this.commandLine = commandLine;
        List<LoadResults.Entry> entries = results.entries();
        planned = entries.size();
        int sentCount = 0;
        int errors = 0;
        int ok = 0;
        int bad = 0;
        int lost = 0;
        int twice = 0;
        int fromStore = 0;
        long images = 0;
        double firstSent = Double.NaN;
        double lastSent = Double.NaN;
        double lastAnswer = Double.NaN;
        List<Double> okLatency = new ArrayList<>();
        List<Double> badLatency = new ArrayList<>();
        Map<String, List<Double>> timings = new LinkedHashMap<>();
        WORKER_TIMINGS.forEach(t -> timings.put(t, new ArrayList<>()));
        Map<Integer, double[]> batches = new TreeMap<>();
        for (LoadResults.Entry e : entries) {
            if (e.sendError() != null) {
                errors++;
                continue;
            }
            if (!e.sent()) {
                continue;
            }
            sentCount++;
            firstSent = Double.isNaN(firstSent) ? e.sentMs() : Math.min(firstSent, e.sentMs());
            lastSent = Double.isNaN(lastSent) ? e.sentMs() : Math.max(lastSent, e.sentMs());
            LoadResults.Arrival answer = e.answer();
            if (answer == null) {
                lost++;
                continue;
            }
            twice += e.events().size() > 1 ? 1 : 0;
            lastAnswer = Double.isNaN(lastAnswer) ? answer.atMs() : Math.max(lastAnswer, answer.atMs());
            if (!answer.completed()) {
                bad++;
                failedByCode.merge(answer.errorCode(), 1, Integer::sum);
                badLatency.add(e.latencyMs());
                continue;
            }
            ok++;
            okLatency.add(e.latencyMs());
            JsonNode event = answer.event();
            images += event.path("image").path("count").asInt(e.request().count());
            fromStore += event.path("deduplicated").asBoolean() ? 1 : 0;
            WORKER_TIMINGS.forEach(t -> timings.get(t).add(answer.timing(t)));
            for (JsonNode b : event.path("batches")) {
                int requests = Math.max(1, b.path("requests").asInt(1));
                double[] row = batches.computeIfAbsent(b.path("images").asInt(), k -> new double[2]);
                row[0] += 1.0 / requests;
                row[1] += 1;
            }
        }
        sent = sentCount;
        sendErrors = errors;
        completed = ok;
        failed = bad;
        missing = lost;
        duplicates = twice;
        deduplicated = fromStore;
        completedImages = images;
        firstSentMs = firstSent;
        lastSentMs = lastSent;
        lastAnswerMs = lastAnswer;
        latencyCompleted = Stats.of(toArray(okLatency));
        latencyFailed = Stats.of(toArray(badLatency));
        timings.forEach((name, values) -> workerTimings.put(name, Stats.of(toArray(values))));
        List<BatchSize> sizes = new ArrayList<>();
        batches.forEach((size, row) -> sizes.add(new BatchSize(size, row[0], (int) row[1])));
        batchSizes = List.copyOf(sizes);
        maxLag = results.lag().stream().mapToLong(LoadResults.LagSample::lag).max().orElse(-1);
        endLag = results.lag().isEmpty() ? -1 : results.lag().get(results.lag().size() - 1).lag();
    }

    private static double[] toArray(List<Double> values) {
        return values.stream().mapToDouble(Double::doubleValue).toArray();
    }

    /** From the first send to the last first event, in seconds (NaN when nothing was answered). */
    double spanSeconds() {
        return (lastAnswerMs - firstSentMs) / 1000;
    }

    double completedPerSecond() {
        return completed / spanSeconds();
    }

    double imagesPerSecond() {
        return completedImages / spanSeconds();
    }

    /** Requests per second actually offered: sent over the time from the first send to the last. */
    double offeredPerSecond() {
        double seconds = (lastSentMs - firstSentMs) / 1000;
        return seconds > 0 ? (sent - 1) / seconds : Double.POSITIVE_INFINITY;
    }

    /** Writes every file into {@code directory} (created when missing). */
    void write(Path directory) throws IOException {
        Files.createDirectories(directory);
        Files.writeString(directory.resolve(REPORT), markdown(), StandardCharsets.UTF_8);
        Files.writeString(directory.resolve(EVENTS_CSV), LoadCsv.events(results), StandardCharsets.UTF_8);
        Files.writeString(directory.resolve(LAG_CSV), LoadCsv.lag(results), StandardCharsets.UTF_8);
        LoadReportPlots.write(directory, results, LATENCY_PLOT, LAG_PLOT, HISTOGRAM_PLOT);
    }

    /** A few lines for stdout. */
    String summary() {
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "loadgen %s: %d sent, %d completed, %d failed%s, %d missing, %d with"
                + " duplicate events%s%n", results.run(), sent, completed, failed, failedByCode.isEmpty() ? ""
                : " " + failedByCode, missing, duplicates, sendErrors > 0 ? ", " + sendErrors + " send errors" : ""));
        s.append(String.format(Locale.ROOT, "throughput: %s requests/s, %s images/s over %s s (first send to last"
                + " event)%n", fixed(completedPerSecond(), 2), fixed(imagesPerSecond(), 2), fixed(spanSeconds(), 1)));
        s.append(String.format(Locale.ROOT, "latency, produce to event (completed): p50 %s ms, p90 %s ms, p99 %s ms,"
                + " max %s ms%n", ms(latencyCompleted.p50()), ms(latencyCompleted.p90()), ms(latencyCompleted.p99()),
                ms(latencyCompleted.max())));
        Stats e2e = workerTimings.get("endToEndMs");
        s.append(String.format(Locale.ROOT, "worker endToEndMs: p50 %s ms, p99 %s ms; lag max %s, at the end %s%n",
                ms(e2e.p50()), ms(e2e.p99()), lag(maxLag), lag(endLag)));
        return s.toString();
    }

    String markdown() {
        StringBuilder md = new StringBuilder();
        md.append("# Load run ").append(results.run()).append("\n\n");
        md.append("```\n").append(commandLine).append("\n```\n\n");
        table(md, List.of("run", ""), List.of(
                List.of("requests", "`loadgen-" + results.run() + "-1` .. `loadgen-" + results.run() + "-" + planned
                        + "`"),
                List.of("started", Instant.ofEpochMilli(results.startEpochMs()).toString()),
                List.of("Kafka", "`" + settings.bootstrapServers() + "`: requests to `" + settings.requestsTopic()
                        + "`, events from `" + settings.eventsTopic() + "`, lag of group `" + settings.group() + "`"),
                List.of("load", plan.pacing().describe()),
                List.of("labels", plan.labels().toString()),
                List.of("images per request", plan.counts().toString()),
                List.of("samplers", plan.samplers().toString()),
                List.of("DDIM steps; guidance; seed", plan.steps() + "; " + (plan.guidance() == null
                        ? "the worker's default" : LoadPlan.number(plan.guidance())) + "; " + plan.seed()),
                List.of("layout", plan.layout() == null ? "the default (grid)" : plan.layout()),
                List.of("ended", results.ending())), "l", "l");

        md.append("## Outcome\n\n");
        List<List<String>> outcome = new ArrayList<>();
        outcome.add(List.of("planned", Integer.toString(planned)));
        outcome.add(List.of("sent", Integer.toString(sent)));
        outcome.add(List.of("send errors", Integer.toString(sendErrors)));
        outcome.add(List.of("completed", Integer.toString(completed)));
        outcome.add(List.of("of which answered from an existing result (`deduplicated`)", Integer.toString(deduplicated)));
        outcome.add(List.of("failed", Integer.toString(failed)));
        failedByCode.forEach((code, n) -> outcome.add(List.of("failed `" + code + "`", Integer.toString(n))));
        outcome.add(List.of("missing (sent, no event)", Integer.toString(missing)));
        outcome.add(List.of("more than one event (duplicates)", Integer.toString(duplicates)));
        table(md, List.of("requests", "n"), outcome, "l", "r");

        md.append("## Throughput\n\n");
        table(md, List.of("", "value"), List.of(
                List.of("span, first send to last event", fixed(spanSeconds(), 2) + " s"),
                List.of("sending, first to last send", fixed((lastSentMs - firstSentMs) / 1000, 2) + " s"),
                List.of("offered rate (sent over the sending span)", Double.isInfinite(offeredPerSecond()) ? "all at once"
                        : fixed(offeredPerSecond(), 2) + " requests/s"),
                List.of("completed requests/s", fixed(completedPerSecond(), 2)),
                List.of("images/s (completed)", fixed(imagesPerSecond(), 2) + " (" + completedImages + " images)")),
                "l", "r");

        md.append("## Latency (ms)\n\n");
        md.append("Produce to event: from handing the request to the producer to the event's arrival at loadgen, on"
                + " loadgen's clock. The worker's timings are those its COMPLETED events report (`timings`).\n\n");
        List<List<String>> latency = new ArrayList<>();
        latency.add(statsRow("produce to event, completed", latencyCompleted));
        if (latencyFailed.n() > 0) {
            latency.add(statsRow("produce to event, failed", latencyFailed));
        }
        workerTimings.forEach((name, stats) -> latency.add(statsRow("worker `" + name + "`", stats)));
        table(md, List.of("measure", "n", "p50", "p90", "p99", "max", "mean"), latency, "l", "r", "r", "r", "r", "r",
                "r");

        if (results.entries().stream().anyMatch(e -> e.request().tenant() != null || e.request().priority() != null)) {
            md.append("### By tenant and priority\n\n");
            md.append("Produce to event of the completed requests, per tenant and priority named in them.\n\n");
            table(md, List.of("tenant", "priority", "n", "p50", "p95", "max"), byTenantAndPriority(), "l", "l", "r",
                    "r", "r", "r");
        }

        md.append("## Batches\n\n");
        if (batchSizes.isEmpty()) {
            md.append("No COMPLETED event named a batch.\n\n");
        } else {
            md.append("From the `batches` of the COMPLETED events: a batch shared by k requests is named by each of"
                    + " them, so it counts 1/k per naming. Exact when every request in a batch was this run's and was"
                    + " answered; other producers' requests in the same batches make the counts low.\n\n");
            List<List<String>> rows = new ArrayList<>();
            for (BatchSize b : batchSizes) {
                rows.add(List.of(Integer.toString(b.images()), fixed(b.batches(), 1), Integer.toString(b.sightings()),
                        fixed(b.meanRequests(), 2)));
            }
            table(md, List.of("images per batch", "batches (estimated)", "requests' shares", "requests per batch"),
                    rows, "r", "r", "r", "r");
        }

        md.append("## Consumer-group lag\n\n");
        md.append("End offset minus committed offset of group `").append(settings.group()).append("`, summed over the"
                + " partitions of `").append(settings.requestsTopic()).append("`, sampled about once a second with"
                + " Kafka's Admin API (`").append(LAG_CSV).append("`).\n\n");
        long unknown = results.lag().stream().filter(s -> s.lag() < 0).count();
        table(md, List.of("", "records"), List.of(
                List.of("max", lag(maxLag)),
                List.of("at the end", lag(endLag)),
                List.of("samples (not answered by Kafka)", results.lag().size() + " (" + unknown + ")")), "l", "r");

        md.append("## Mix sent\n\n");
        mixTable(md, "label", LoadRequest::label);
        mixTable(md, "images per request", r -> Integer.toString(r.count()));
        mixTable(md, "sampler", LoadRequest::sampler);
        if (results.entries().stream().anyMatch(e -> e.request().tenant() != null)) {
            mixTable(md, "tenant", r -> r.tenant() == null ? "(none)" : r.tenant());
        }
        if (results.entries().stream().anyMatch(e -> e.request().priority() != null)) {
            mixTable(md, "priority", r -> r.priority() == null ? "(none)" : r.priority());
        }

        md.append("## Files\n\n");
        md.append("- `").append(EVENTS_CSV).append("`: one row per request (times in ms since the epoch, latency from"
                + " the send to the first event's arrival, the worker's timings, the first batch)\n");
        md.append("- `").append(LAG_CSV).append("`: the lag samples\n\n");
        md.append("![latency over time](").append(LATENCY_PLOT).append(")\n\n");
        md.append("![latency histogram](").append(HISTOGRAM_PLOT).append(")\n\n");
        md.append("![lag over time](").append(LAG_PLOT).append(")\n");
        return md.toString();
    }

    private List<List<String>> byTenantAndPriority() {
        Map<List<String>, List<Double>> latencies = new java.util.TreeMap<>(
                java.util.Comparator.comparing((List<String> k) -> k.get(0)).thenComparing(k -> k.get(1)));
        for (LoadResults.Entry e : results.entries()) {
            if (e.answer() != null && e.answer().completed() && !Double.isNaN(e.latencyMs())) {
                List<String> key = List.of(e.request().tenant() == null ? "(none)" : e.request().tenant(),
                        e.request().priority() == null ? "(none)" : e.request().priority());
                latencies.computeIfAbsent(key, k -> new ArrayList<>()).add(e.latencyMs());
            }
        }
        List<List<String>> rows = new ArrayList<>();
        latencies.forEach((key, values) -> {
            double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
            rows.add(List.of(key.get(0), key.get(1), Integer.toString(v.length), fixed(Stats.percentile(v, 50), 0),
                    fixed(Stats.percentile(v, 95), 0), fixed(v[v.length - 1], 0)));
        });
        return rows;
    }

    private void mixTable(StringBuilder md, String name, Function<LoadRequest, String> key) {
        Map<String, Integer> counts = new LinkedHashMap<>();
        results.entries().stream().filter(LoadResults.Entry::sent)
                .forEach(e -> counts.merge(key.apply(e.request()), 1, Integer::sum));
        List<List<String>> rows = new ArrayList<>();
        counts.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
                .forEach(c -> rows.add(List.of(c.getKey(), Integer.toString(c.getValue()),
                        fixed(100.0 * c.getValue() / Math.max(1, sent), 1) + "%")));
        table(md, List.of(name, "requests", "share"), rows, "l", "r", "r");
    }

    private static List<String> statsRow(String name, Stats s) {
        return List.of(name, Integer.toString(s.n()), ms(s.p50()), ms(s.p90()), ms(s.p99()), ms(s.max()), ms(s.mean()));
    }

    private static void table(StringBuilder md, List<String> header, List<List<String>> rows, String... align) {
        md.append("| ").append(String.join(" | ", header)).append(" |\n|");
        for (String a : align) {
            md.append("r".equals(a) ? "---:|" : "---|");
        }
        md.append('\n');
        for (List<String> row : rows) {
            md.append("| ").append(String.join(" | ", row)).append(" |\n");
        }
        md.append('\n');
    }

    static String ms(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.0f", v);
    }

    static String fixed(double v, int decimals) {
        return Double.isNaN(v) || Double.isInfinite(v) ? "-" : String.format(Locale.ROOT, "%." + decimals + "f", v);
    }

    private static String lag(long v) {
        return v < 0 ? "-" : Long.toString(v);
    }
}
