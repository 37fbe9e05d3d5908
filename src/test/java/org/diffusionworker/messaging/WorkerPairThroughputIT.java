package org.diffusionworker.messaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.diffusionworker.testing.ProcessTestInfrastructure;
import org.diffusionworker.testing.TestKafka;
import org.diffusionworker.testing.WorkerProcess;
import org.jboss.logging.Logger;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Throughput of one worker process against two in one consumer group on a requests topic of 4 partitions, on the
 * shipped model, and whether any request ran twice. Configurations alternate round by round (one worker with all
 * cores' threads, two with one thread each, two with all threads each), so a swing of the machine does not make a
 * ratio; each round is a burst of {@code pair.requests} (32) requests of 16 images, DDIM-25, sent once every worker
 * is ready, timed from the first send to the last event. Writes {@code target/worker-pair/report.md}.
 *
 * <p>Tagged {@code benchmark}: not part of the default build (about 6 minutes on 2 cores); docs/performance.md gives
 * the command and the figures.
 */
@Tag("benchmark")
class WorkerPairThroughputIT extends ProcessTestInfrastructure {

    private static final Logger LOG = Logger.getLogger(WorkerPairThroughputIT.class);
    private static final String TOPIC = "generation-requests-4";
    private static final int PARTITIONS = 4;
    private static final int IMAGES_PER_REQUEST = 16;
    private static final Duration ALL_ANSWERED = Duration.ofMinutes(8);
    private static final String[] LABELS = {"t-shirt/top", "trouser", "pullover", "dress", "coat", "sandal",
        "shirt", "sneaker", "bag", "ankle-boot"};

    /** One way of running the load: how many worker processes, and PyTorch threads in each. */
    record Setup(String name, int workers, int threadsEach) {}

    /** What one round measured. */
    record Round(Setup setup, int repeat, int requests, double seconds, int duplicates, int lost,
            Map<String, Integer> answeredBy) {
        double imagesPerSecond() {
            return requests * IMAGES_PER_REQUEST / seconds;
        }
    }

    @Test
    void twoWorkersShareFourPartitionsWithoutRunningARequestTwice() throws Exception {
        int cores = Runtime.getRuntime().availableProcessors();
        int requests = Integer.getInteger("pair.requests", 32);
        int repeats = Integer.getInteger("pair.repeats", 2);
        kafka.createTopics(PARTITIONS, TOPIC);
        List<Setup> setups = List.of(
                new Setup("one worker, " + cores + " threads", 1, cores),
                new Setup("two workers, " + Math.max(1, cores / 2) + " thread(s) each", 2, Math.max(1, cores / 2)),
                new Setup("two workers, " + cores + " threads each", 2, cores));
        List<Round> rounds = new ArrayList<>();
        for (int repeat = 1; repeat <= repeats; repeat++) {
            for (Setup setup : setups) {
                Round round = run(setup, repeat, requests);
                LOG.infof("worker pair: %s", round);
                rounds.add(round);
            }
        }
        Path out = Path.of("target", "worker-pair");
        Files.createDirectories(out);
        Files.writeString(out.resolve("report.md"), report(rounds, cores, requests), StandardCharsets.UTF_8);
        for (Round r : rounds) {
            assertEquals(0, r.lost(), "every request answered: " + r);
            assertEquals(0, r.duplicates(), "no request ran twice: " + r);
            if (r.setup().workers() == 2) {
                assertEquals(2, r.answeredBy().size(), "both workers took partitions and answered: " + r);
            }
        }
    }

    private Round run(Setup setup, int repeat, int requests) throws Exception {
        String run = "pair-" + UUID.randomUUID().toString().substring(0, 8) + "-";
        List<WorkerProcess> workers = new ArrayList<>();
        try {
            for (int i = 0; i < setup.workers(); i++) {
                String name = run + "w" + i;
                workers.add(WorkerProcess.start(directory, kafka, s3, name, Map.of(
                        "mp.messaging.incoming.generation-requests.topic", TOPIC,
                        "diffusionworker.model.path", Path.of("models/fashion-mnist").toAbsolutePath().toString(),
                        "diffusionworker.events.source", "urn:diffusion-worker:" + name,
                        "ai.djl.pytorch.num_threads", Integer.toString(setup.threadsEach()))));
            }
            // Every worker in the group and holding partitions before the clock starts: a rebalance is not load.
            for (WorkerProcess w : workers) {
                w.awaitReady();
            }
            awaitAllReady(workers);
            List<String> ids = new ArrayList<>();
            long start = System.nanoTime();
            for (int i = 0; i < requests; i++) {
                String id = run + i;
                ObjectNode r = TestKafka.JSON.createObjectNode().put("requestId", id).put("seed", i)
                        .put("label", LABELS[i % LABELS.length]).put("count", IMAGES_PER_REQUEST).put("steps", 25);
                clients.sendTo(TOPIC, id, r.toString().getBytes(StandardCharsets.UTF_8));
                ids.add(id);
            }
            clients.awaitAnswered(ids, start + ALL_ANSWERED.toNanos());
            double seconds = (System.nanoTime() - start) / 1e9;
            clients.pollForLateDuplicates();
            TestKafka.Delivery delivery = clients.deliveryOf(ids);
            int duplicates = delivery.duplicates();
            // A request that failed counts as lost here: every request of this load is valid.
            int lost = delivery.lost();
            Map<String, Integer> answeredBy = new TreeMap<>();
            for (TestKafka.Event last : delivery.lastEvents()) {
                if (!"COMPLETED".equals(last.status())) {
                    lost++;
                    continue;
                }
                String source = last.headers().getOrDefault("ce_source", "?");
                answeredBy.merge(source.substring(source.lastIndexOf('-') + 1), 1, Integer::sum);
            }
            return new Round(setup, repeat, requests, seconds, duplicates, lost, answeredBy);
        } finally {
            for (WorkerProcess w : workers) {
                w.process().destroy();
            }
            for (WorkerProcess w : workers) {
                assertTrue(w.process().waitFor(120, TimeUnit.SECONDS), "exits within its grace period");
            }
        }
    }

    /** Readiness of each worker again, all at once: joining the second one rebalanced the first. */
    private static void awaitAllReady(List<WorkerProcess> workers) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!workers.stream().allMatch(WorkerProcess::ready) && System.nanoTime() < deadline) {
            clients.poll();
        }
        assertTrue(workers.stream().allMatch(WorkerProcess::ready), "every worker ready with partitions");
    }

    private static String report(List<Round> rounds, int cores, int requests) {
        StringBuilder md = new StringBuilder("# One worker or two on " + PARTITIONS + " partitions\n\n");
        md.append(String.format(Locale.ROOT, "%d cores; %d requests of %d images (DDIM-25, guidance 0, labels in turn)"
                + " per round, the shipped model; first send to last event.%n%n", cores, requests, IMAGES_PER_REQUEST));
        md.append("| round | setup | seconds | images/s | answered by worker | duplicates | lost |\n");
        md.append("|---:|---|---:|---:|---|---:|---:|\n");
        for (Round r : rounds) {
            md.append(String.format(Locale.ROOT, "| %d | %s | %.1f | %.2f | %s | %d | %d |%n", r.repeat(),
                    r.setup().name(), r.seconds(), r.imagesPerSecond(), r.answeredBy(), r.duplicates(), r.lost()));
        }
        Map<String, List<Double>> bySetup = new LinkedHashMap<>();
        for (Round r : rounds) {
            bySetup.computeIfAbsent(r.setup().name(), k -> new ArrayList<>()).add(r.imagesPerSecond());
        }
        md.append("\n| setup | images/s per round | mean |\n|---|---|---:|\n");
        bySetup.forEach((name, values) -> md.append(String.format(Locale.ROOT, "| %s | %s | %.2f |%n", name,
                values.stream().map(v -> String.format(Locale.ROOT, "%.2f", v)).toList(),
                values.stream().mapToDouble(Double::doubleValue).average().orElse(0))));
        return md.toString();
    }
}
