package org.diffusionworker.worker;

import ai.djl.Device;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.diffusionworker.diffusion.SamplerKind;
import org.diffusionworker.embedded.EmbeddedS3Server;
import org.diffusionworker.generation.Conditioning;
import org.diffusionworker.generation.GenerationEngine;
import org.diffusionworker.model.ModelLoader;
import org.diffusionworker.model.ModelSpec;
import org.diffusionworker.storage.MinioObjectStore;
import org.diffusionworker.storage.ObjectKeys;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * MIXED versus BY_CONTEXT batching on a skewed label mix, through the whole worker (batcher, inference thread,
 * PNG encoding, upload to a real S3 server). Reports figures (docs/batching.md), asserts nothing. Run with
 * {@code ./mvnw -B -Pbench test -Dtest=BatchingPolicyBenchmark}.
 */
@Tag("benchmark")
class BatchingPolicyBenchmark {

    static final int REQUESTS = 60;
    static final int IMAGES_PER_REQUEST = 4;
    static final int STEPS = 10;
    static final int MAX_BATCH = 32;
    static final Duration DELAY = Duration.ofMillis(100);
    /** Label shares: one label dominates, the tail is thin (the skew a public demo sees). */
    static final double[] SHARES = {0.50, 0.20, 0.10, 0.05, 0.05, 0.03, 0.03, 0.02, 0.01, 0.01};

    @TempDir
    Path directory;

    record Result(String policy, String arrivals, double seconds, double imagesPerSecond, int batches,
            double meanBatch, long p50, long p95, long max, long rareP95) {}

    @Test
    void mixedVersusByContextOnASkewedLabelMix() throws Exception {
        List<Result> results = new ArrayList<>();
        try (EmbeddedS3Server s3 = EmbeddedS3Server.builder(directory.resolve("s3")).build().start()) {
            for (String arrivals : List.of("burst", "stream")) {
                for (BatchingPolicy policy : BatchingPolicy.values()) {
                    results.add(run(s3, policy, arrivals));
                }
            }
        }
        StringBuilder table = new StringBuilder("\n| arrivals | policy | seconds | images/s | batches | mean batch"
                + " | p50 ms | p95 ms | max ms | rare-label p95 ms |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (Result r : results) {
            table.append(String.format(Locale.ROOT, "| %s | %s | %.1f | %.1f | %d | %.1f | %d | %d | %d | %d |%n",
                    r.arrivals(), r.policy(), r.seconds(), r.imagesPerSecond(), r.batches(), r.meanBatch(), r.p50(),
                    r.p95(), r.max(), r.rareP95()));
        }
        System.getLogger(BatchingPolicyBenchmark.class.getName()).log(Level.INFO, table);
    }

    private Result run(EmbeddedS3Server s3, BatchingPolicy policy, String arrivals) throws Exception {
        ModelSpec spec = ModelLoader.fromDirectory(Path.of("src/test/resources/models/random-gray28"), Device.cpu())
                .spec();
        // The production size (n_feat 64), random weights: the cost per image is what matters here.
        ModelSpec big = new ModelSpec("bench-gray28-64", new ModelSpec.Architecture("ContextUnet", 1, 64, 10, 28),
                spec.labels(), spec.schedule(), null, Map.of("weights", "random (benchmark)"), null, null);
        WorkerSettings settings = WorkerSettings.defaults().withBatching(MAX_BATCH, DELAY, policy);
        List<Integer> batchSizes = Collections.synchronizedList(new ArrayList<>());
        WorkerListener listener = new WorkerListener() {
            @Override
            public void batchStarted(int images, int requests, long oldestWaitNanos, boolean joined) {
                batchSizes.add(images);
            }
        };
        Random random = new Random(42);
        List<String> labels = new ArrayList<>();
        for (int i = 0; i < REQUESTS; i++) {
            labels.add(spec.labels().get(pick(random)));
        }
        Map<String, Long> latencyMs = new ConcurrentHashMap<>();
        Map<String, String> labelOf = new ConcurrentHashMap<>();
        CountDownLatch done = new CountDownLatch(REQUESTS);
        String bucket = "bench-" + policy.name().toLowerCase(Locale.ROOT).replace('_', '-') + "-" + arrivals;
        try (MinioObjectStore store = new MinioObjectStore(GenerationWorkerTest.storeSettings(s3, bucket));
             GenerationWorker worker = new GenerationWorker(settings,
                     List.of(new GenerationEngine(ModelLoader.randomlyInitialised(big, 1, Device.cpu()))), store,
                     new ObjectKeys("bench"), listener)) {
            worker.start();
            worker.awaitWarm(Duration.ofMinutes(5));
            batchSizes.clear();
            ScheduledExecutorService producer = Executors.newSingleThreadScheduledExecutor();
            long start = System.nanoTime();
            for (int i = 0; i < REQUESTS; i++) {
                String id = "r" + i;
                String label = labels.get(i);
                labelOf.put(id, label);
                GenerationRequest request = new GenerationRequest(id, Conditioning.label(label), IMAGES_PER_REQUEST,
                        new SamplingParameters(SamplerKind.DDIM, STEPS, null, 0, 0, (long) i), null, null, null, null,
                        null);
                long at = arrivals.equals("burst") ? 0 : i * 250L;
                producer.schedule(() -> {
                    long sent = System.nanoTime();
                    worker.submit(request, RequestObserver.of(outcome -> {
                        latencyMs.put(id, (System.nanoTime() - sent) / 1_000_000);
                        done.countDown();
                    }));
                }, at, TimeUnit.MILLISECONDS);
            }
            done.await(30, TimeUnit.MINUTES);
            double seconds = (System.nanoTime() - start) / 1e9;
            producer.shutdownNow();
            List<Long> all = latencyMs.values().stream().sorted().toList();
            List<Long> rare = latencyMs.entrySet().stream()
                    .filter(e -> spec.labels().indexOf(labelOf.get(e.getKey())) >= 3)
                    .map(Map.Entry::getValue).sorted().toList();
            return new Result(policy.name(), arrivals, seconds, REQUESTS * IMAGES_PER_REQUEST / seconds,
                    batchSizes.size(), batchSizes.stream().mapToInt(Integer::intValue).average().orElse(0),
                    percentile(all, 50), percentile(all, 95), all.get(all.size() - 1), percentile(rare, 95));
        }
    }

    private static int pick(Random random) {
        double u = random.nextDouble();
        for (int i = 0; i < SHARES.length; i++) {
            u -= SHARES[i];
            if (u < 0) {
                return i;
            }
        }
        return SHARES.length - 1;
    }

    private static long percentile(List<Long> sorted, int p) {
        if (sorted.isEmpty()) {
            return 0;
        }
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1));
    }
}
