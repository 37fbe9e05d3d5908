package org.diffusionworker.messaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.diffusionworker.testing.ProcessTestInfrastructure;
import org.diffusionworker.testing.TestKafka;
import org.diffusionworker.testing.TimeSeriesPlot;
import org.diffusionworker.testing.WorkerProcess;
import org.diffusionworker.testing.WorkerTestConfig;
import org.jboss.logging.Logger;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The worker under steady load for {@code soak.minutes} (10 by default): a request every {@code soak.interval.ms}
 * (2000) with mixed labels, counts and steps, while its live heap (read right after a full collection forced with
 * {@code jcmd <pid> GC.run}), resident memory (which holds DJL's native tensors) and thread count are sampled every
 * 10 s with the consumer group's lag. After a warm-up none of them may trend upward,
 * every request completes exactly once, and the lag returns to zero. Writes {@code target/soak/} (CSV, summary, PNG).
 * Tagged {@code soak} and left out of the default build; docs/reliability.md gives the command.
 */
@Tag("soak")
class SoakIT extends ProcessTestInfrastructure {

    private static final Logger LOG = Logger.getLogger(SoakIT.class);
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final Duration SAMPLE_EVERY = Duration.ofSeconds(10);
    private static final Pattern HEAP = Pattern.compile("(?m)^jvm_memory_used_bytes\\{[^}]*area=\"heap\"[^}]*\\} ([0-9.E+-]+)$");
    private static final Pattern JVM_THREADS = Pattern.compile("(?m)^jvm_threads_live_threads(?:\\{[^}]*\\})? ([0-9.E+-]+)$");

    /** One sample of the worker process. */
    record Sample(double seconds, long sent, long answered, double heapMiB, double rssMiB, int osThreads,
            int jvmThreads, long lag) {}

    @Test
    void steadyLoadShowsNoUpwardTrendAndTheLagReturnsToZero() throws Exception {
        Duration length = Duration.ofMinutes(Long.getLong("soak.minutes", 10));
        Duration interval = Duration.ofMillis(Long.getLong("soak.interval.ms", 2000));
        Duration warmUp = Duration.ofSeconds(Math.min(120, length.toSeconds() / 4));
        Path out = Path.of("target", "soak");
        Files.createDirectories(out);
        WorkerProcess worker = WorkerProcess.start(directory, kafka, s3, "soak", Map.of());
        List<Sample> samples = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        String run = "soak-" + UUID.randomUUID().toString().substring(0, 8) + "-";
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
            worker.awaitReady();
            long start = System.nanoTime();
            long nextSend = start;
            long nextSample = start;
            while (System.nanoTime() - start < length.toNanos()) {
                long now = System.nanoTime();
                if (now >= nextSend) {
                    String id = run + ids.size();
                    clients.send(id, request(id, ids.size()));
                    ids.add(id);
                    nextSend += interval.toNanos();
                }
                if (now >= nextSample) {
                    samples.add(sample(worker, admin, start, ids));
                    nextSample += SAMPLE_EVERY.toNanos();
                }
                clients.poll(); // paces the loop (200 ms) and collects events
            }
            // The load stops: everything sent must be answered and the group's lag must reach zero.
            long drained = System.nanoTime() + Duration.ofMinutes(3).toNanos();
            Sample last = sample(worker, admin, start, ids);
            while ((last.answered < ids.size() || last.lag > 0) && System.nanoTime() < drained) {
                for (int i = 0; i < 10; i++) {
                    clients.poll();
                }
                last = sample(worker, admin, start, ids);
            }
            samples.add(last);
            Report report = Report.of(samples, warmUp.toSeconds(), ids, length, interval);
            report.write(out);
            LOG.infof("soak: %s", report.summary());
            assertEquals(0, last.lag, "the lag returned to zero: " + report.summary());
            assertEquals(ids.size(), report.completed, report.summary());
            assertEquals(0, report.duplicates, report.summary());
            assertTrue(report.rssGrowthPercent < 10, "resident memory grows: " + report.summary());
            assertTrue(report.heapGrowthPercent < 10, "heap grows: " + report.summary());
            assertTrue(report.threadGrowth <= 2, "threads grow: " + report.summary());
        } finally {
            worker.process().destroy();
            worker.process().waitFor(120, TimeUnit.SECONDS);
        }
    }

    private static String request(String id, int i) {
        String[] labels = {"t-shirt/top", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag"};
        ObjectNode r = TestKafka.JSON.createObjectNode().put("requestId", id).put("seed", i)
                .put("label", labels[i % labels.length]).put("count", 1 + i % 4).put("steps", 10 + (i * 7) % 16);
        if (i % 5 == 2) {
            r.put("guidance", 1.5);
        }
        return r.toString();
    }

    private static Sample sample(WorkerProcess worker, Admin admin, long start, List<String> ids) throws Exception {
        // Live data, not the collector's rhythm: a full collection first, so the heap read next is what is retained.
        collectGarbage(worker);
        String metrics = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + worker.httpPort()
                + "/q/metrics")).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString()).body();
        double heap = 0;
        for (Matcher m = HEAP.matcher(metrics); m.find(); ) {
            heap += Double.parseDouble(m.group(1));
        }
        Matcher threads = JVM_THREADS.matcher(metrics);
        int jvmThreads = threads.find() ? (int) Double.parseDouble(threads.group(1)) : -1;
        String status = Files.readString(Path.of("/proc", Long.toString(worker.process().pid()), "status"),
                StandardCharsets.US_ASCII);
        long answered = ids.stream().filter(id -> clients.eventsFor(id) > 0).count();
        return new Sample((System.nanoTime() - start) / 1e9, ids.size(), answered, heap / (1 << 20),
                procField(status, "VmRSS") / 1024.0, (int) procField(status, "Threads"), jvmThreads, lag(admin));
    }

    /** {@code jcmd <pid> GC.run}: a full collection in the worker (System.gc(), which G1 runs as a full GC). */
    private static void collectGarbage(WorkerProcess worker) throws IOException, InterruptedException {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        Process p = new ProcessBuilder(jcmd.toString(), Long.toString(worker.process().pid()), "GC.run")
                .redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new AssertionError("jcmd GC.run failed on the worker (the soak needs the JDK's jcmd): " + output);
        }
    }

    private static long procField(String status, String name) {
        Matcher m = Pattern.compile("(?m)^" + name + ":\\s+(\\d+)").matcher(status);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    /** Records of the requests topic not yet committed by the worker's group. */
    private static long lag(Admin admin) throws Exception {
        Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets("diffusion-worker")
                .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
        TopicPartition p = new TopicPartition(WorkerTestConfig.REQUESTS, 0);
        long end = admin.listOffsets(Map.of(p, OffsetSpec.latest())).partitionResult(p).get(30, TimeUnit.SECONDS)
                .offset();
        OffsetAndMetadata c = committed.get(p);
        return end - (c == null ? 0 : c.offset());
    }

    /** What the samples say. */
    static final class Report {
        final List<Sample> samples;
        final double warmUpSeconds;
        int completed;
        int duplicates;
        double rssGrowthPercent;
        double heapGrowthPercent;
        int threadGrowth;
        String text;

        private Report(List<Sample> samples, double warmUpSeconds) {
            this.samples = samples;
            this.warmUpSeconds = warmUpSeconds;
        }

        static Report of(List<Sample> samples, double warmUpSeconds, List<String> ids, Duration length,
                Duration interval) {
            Report r = new Report(samples, warmUpSeconds);
            for (String id : ids) {
                List<TestKafka.Event> events = clients.eventsOf(id);
                r.duplicates += Math.max(0, events.size() - 1);
                if (!events.isEmpty() && "COMPLETED".equals(events.get(events.size() - 1).status())) {
                    r.completed++;
                }
            }
            List<Sample> steady = samples.stream().filter(s -> s.seconds >= warmUpSeconds).toList();
            int quarter = Math.max(1, steady.size() / 4);
            List<Sample> first = steady.subList(0, quarter);
            List<Sample> lastQ = steady.subList(steady.size() - quarter, steady.size());
            r.rssGrowthPercent = growth(first.stream().mapToDouble(Sample::rssMiB).toArray(),
                    lastQ.stream().mapToDouble(Sample::rssMiB).toArray());
            // Each heap sample follows a forced full collection: it is live data, so a trend in it is retention (a
            // leak), not G1's rhythm. Medians of the first and last quarter, as for resident memory.
            r.heapGrowthPercent = growth(first.stream().mapToDouble(Sample::heapMiB).toArray(),
                    lastQ.stream().mapToDouble(Sample::heapMiB).toArray());
            r.threadGrowth = lastQ.stream().mapToInt(Sample::osThreads).max().orElse(0)
                    - first.stream().mapToInt(Sample::osThreads).max().orElse(0);
            Sample end = samples.get(samples.size() - 1);
            r.text = String.format(Locale.ROOT, "%d min at one request per %.1f s: %d sent, %d completed, %d"
                    + " duplicates; resident memory %.0f -> %.0f MiB (%+.1f%% first to last quarter after a %.0f s"
                    + " warm-up), live heap after a full GC %.0f -> %.0f MiB (%+.1f%%), OS threads %+d (%d at the end), lag at the end %d (max %d)",
                    length.toMinutes(), interval.toMillis() / 1000.0, ids.size(), r.completed, r.duplicates,
                    median(first.stream().mapToDouble(Sample::rssMiB).toArray()),
                    median(lastQ.stream().mapToDouble(Sample::rssMiB).toArray()), r.rssGrowthPercent, warmUpSeconds,
                    median(first.stream().mapToDouble(Sample::heapMiB).toArray()),
                    median(lastQ.stream().mapToDouble(Sample::heapMiB).toArray()), r.heapGrowthPercent, r.threadGrowth, end.osThreads, end.lag,
                    samples.stream().mapToLong(Sample::lag).max().orElse(0));
            return r;
        }

        String summary() {
            return text;
        }

        void write(Path out) throws IOException {
            StringBuilder csv = new StringBuilder("seconds,sent,answered,heap_mib,rss_mib,os_threads,jvm_threads,lag\n");
            for (Sample s : samples) {
                csv.append(String.format(Locale.ROOT, "%.1f,%d,%d,%.1f,%.1f,%d,%d,%d%n", s.seconds, s.sent,
                        s.answered, s.heapMiB, s.rssMiB, s.osThreads, s.jvmThreads, s.lag));
            }
            Files.writeString(out.resolve("soak.csv"), csv);
            Files.writeString(out.resolve("soak.md"), "# Soak\n\n" + text + "\n\n![soak](soak.png)\n");
            double[] t = samples.stream().mapToDouble(Sample::seconds).toArray();
            TimeSeriesPlot.write(out.resolve("soak.png"), "Worker under steady load (warm-up shaded)", t,
                    warmUpSeconds, List.of(
                            new TimeSeriesPlot.Series("resident memory", "MiB",
                                    samples.stream().mapToDouble(Sample::rssMiB).toArray()),
                            new TimeSeriesPlot.Series("heap used", "MiB",
                                    samples.stream().mapToDouble(Sample::heapMiB).toArray()),
                            new TimeSeriesPlot.Series("threads (OS)", "count",
                                    samples.stream().mapToDouble(Sample::osThreads).toArray()),
                            new TimeSeriesPlot.Series("consumer group lag", "records",
                                    samples.stream().mapToDouble(Sample::lag).toArray())));
        }

        /** Percent change of the median from {@code first} to {@code last}. */
        private static double growth(double[] first, double[] last) {
            double a = median(first);
            double b = median(last);
            return a <= 0 ? 0 : 100 * (b - a) / a;
        }

        private static double median(double[] values) {
            double[] v = values.clone();
            Arrays.sort(v);
            return v.length == 0 ? 0 : v[v.length / 2];
        }
    }
}
