package org.diffusionworker.worker;

import ai.djl.Device;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.diffusionworker.diffusion.SamplerKind;
import org.diffusionworker.embedded.EmbeddedS3Server;
import org.diffusionworker.generation.Conditioning;
import org.diffusionworker.generation.GenerationEngine;
import org.diffusionworker.model.ModelLoader;
import org.diffusionworker.storage.MinioObjectStore;
import org.diffusionworker.storage.ObjectKeys;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the per-step hook (progress events and cancel checks) costs a batch: the time spent in the hook against the
 * batch's sampling time, through the whole worker, in its most expensive use: every request of a full batch asks for
 * STARTED and PROGRESS, at the shortest interval (100 ms). The hook is timed where it runs ({@link BatchStepHook}),
 * so the figure is its own, not the noise of two runs. Reports figures (docs/reliability.md), asserts nothing. Run with
 * {@code ./mvnw -B -Pbench test -Dtest=StepHookCostBenchmark} (models: the small test model, and the
 * shipped one when present: a slower step makes the share smaller).
 */
@Tag("benchmark")
class StepHookCostBenchmark {

    static final int REQUESTS = 16;
    static final int IMAGES_PER_REQUEST = 4;
    static final int STEPS = 25;
    static final int ROUNDS = 5;

    @TempDir
    Path directory;

    @Test
    void hookShareOfSamplingTime() throws Exception {
        List<String> lines = new ArrayList<>();
        try (EmbeddedS3Server s3 = EmbeddedS3Server.builder(directory.resolve("s3")).build().start()) {
            for (Path model : List.of(GenerationWorkerTest.MODEL, Path.of("models/fashion-mnist"))) {
                if (Files.isDirectory(model)) {
                    lines.add(run(s3, model));
                }
            }
        }
        lines.forEach(System.out::println);
    }

    private String run(EmbeddedS3Server s3, Path modelDir) throws Exception {
        ConcurrentLinkedQueue<double[]> batches = new ConcurrentLinkedQueue<>();
        WorkerListener listener = new WorkerListener() {
            @Override
            public void stepHookCost(long hookNanos, long samplingNanos) {
                batches.add(new double[] {hookNanos, samplingNanos});
            }
        };
        WorkerSettings settings = WorkerSettings.defaults()
                .withBatching(REQUESTS * IMAGES_PER_REQUEST, Duration.ofMillis(200), BatchingPolicy.MIXED)
                .withLifecycle(new WorkerSettings.Lifecycle(Duration.ofMillis(100), Duration.ofMinutes(15), 1000));
        String bucket = "hook-" + modelDir.getFileName().toString().toLowerCase(Locale.ROOT);
        try (MinioObjectStore store = new MinioObjectStore(GenerationWorkerTest.storeSettings(s3, bucket));
             GenerationWorker worker = new GenerationWorker(settings, List.of(new GenerationEngine(
                     ModelLoader.fromDirectory(modelDir, Device.cpu()))), store, new ObjectKeys("g"), listener)) {
            worker.start();
            worker.awaitWarm(Duration.ofMinutes(2));
            for (int round = 0; round < ROUNDS; round++) {
                CountDownLatch done = new CountDownLatch(REQUESTS);
                RequestObserver observer = new RequestObserver() {
                    @Override
                    public void finished(Outcome outcome) {
                        done.countDown();
                    }
                };
                for (int i = 0; i < REQUESTS; i++) {
                    worker.submit(new GenerationRequest("hook-" + round + "-" + i, Conditioning.label("bag"),
                            IMAGES_PER_REQUEST, new SamplingParameters(SamplerKind.DDIM, STEPS, null, 0, 0, (long) i),
                            new Delivery(null, false, null, Set.of(RequestEvent.STARTED, RequestEvent.PROGRESS)), null,
                            null, null, null), observer);
                }
                done.await(10, TimeUnit.MINUTES);
            }
        }
        List<Double> shares = new ArrayList<>();
        List<Double> hookMicrosPerStep = new ArrayList<>();
        List<Double> stepMillis = new ArrayList<>();
        for (double[] b : batches) {
            shares.add(b[0] / b[1]);
            hookMicrosPerStep.add(b[0] / STEPS / 1e3);
            stepMillis.add(b[1] / STEPS / 1e6);
        }
        return String.format(Locale.ROOT, "step hook, model %s, %d batches of %d requests x %d images, DDIM-%d, all"
                        + " following (100 ms): hook %.1f us per step (median; max %.1f), step %.1f ms (median), hook"
                        + " share %.3f%% (median; max %.3f%%)", modelDir, batches.size(), REQUESTS, IMAGES_PER_REQUEST,
                STEPS, median(hookMicrosPerStep), Collections.max(hookMicrosPerStep), median(stepMillis),
                100 * median(shares), 100 * Collections.max(shares));
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }
}
