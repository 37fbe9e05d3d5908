package org.diffusionworker.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * One forward pass of the 28x28x1 n_feat 64 network, with each BatchNorm folded into its convolution (the inference
 * path) and without, side by side: the native operator calls per pass (counted by libtorch's profiler) and the time,
 * as medians of interleaved rounds with their spread. A benchmark, not a test:
 * {@code ./mvnw -Pbench test -Dtest=ForwardTimingBenchmark} (BENCH_BATCHES=1,16,64, BENCH_ROUNDS=7).
 */
@Tag("benchmark")
class ForwardTimingBenchmark {

    @Test
    void foldedAgainstUnfolded() throws Exception {
        List<Integer> batches = Arrays.stream(System.getenv().getOrDefault("BENCH_BATCHES", "1,16,64").split(","))
                .map(Integer::parseInt).toList();
        int rounds = Integer.parseInt(System.getenv().getOrDefault("BENCH_ROUNDS", "7"));
        ModelSpec spec = new ModelSpec("bench", new ModelSpec.Architecture("ContextUnet", 1, 64, 10, 28),
                IntStream.range(0, 10).mapToObj(i -> "l" + i).toList(), new ModelSpec.Schedule(500, 1e-4, 0.02), null,
                Map.of(), null, null);
        DjlRuntime.engine();
        NDManager foldedManager = NDManager.newBaseManager(Device.cpu());
        NDManager plainManager = NDManager.newBaseManager(Device.cpu());
        try (LoadedModel folded = new NativeContextUnetModel(spec, ModelLoader.trainableNetwork(spec, 0, foldedManager),
                foldedManager, "bench", true);
                LoadedModel plain = new NativeContextUnetModel(spec, ModelLoader.trainableNetwork(spec, 0, plainManager),
                        plainManager, "bench", false)) {
            DjlRuntime.disableGradientsOnThisThread();
            System.out.println("| batch | path | native calls per pass | median ms | min-max ms |");
            System.out.println("|---:|---|---:|---:|---:|");
            for (int batch : batches) {
                int iterations = Math.max(3, 64 / batch);
                double[][] ms = new double[2][rounds];
                for (int r = 0; r < rounds; r++) {
                    ms[0][r] = time(folded, batch, iterations);
                    ms[1][r] = time(plain, batch, iterations);
                }
                for (int p = 0; p < 2; p++) {
                    double[] sorted = ms[p].clone();
                    Arrays.sort(sorted);
                    System.out.printf(Locale.ROOT, "| %d | %s | %d | %.2f | %.2f-%.2f |%n", batch,
                            p == 0 ? "BatchNorm folded" : "BatchNorm separate", calls(p == 0 ? folded : plain, batch),
                            sorted[rounds / 2], sorted[0], sorted[rounds - 1]);
                }
            }
        }
    }

    /** Mean milliseconds of one pass over {@code iterations} passes (after one untimed). */
    private static double time(LoadedModel model, int batch, int iterations) {
        try (NDManager m = model.manager().newSubManager()) {
            NDArray x = m.randomNormal(new Shape(batch, 1, 28, 28));
            NDArray t = m.full(new Shape(batch), 0.5f);
            NDArray c = m.zeros(new Shape(batch, 10));
            pass(model, x, t, c);
            long start = System.nanoTime();
            for (int i = 0; i < iterations; i++) {
                pass(model, x, t, c);
            }
            return (System.nanoTime() - start) / 1e6 / iterations;
        }
    }

    /** One forward pass, its result read back (as the samplers do), in a sub-manager closed after it. */
    static void pass(LoadedModel model, NDArray x, NDArray t, NDArray c) {
        try (NDManager step = x.getManager().newSubManager()) {
            NDArray eps = model.predictNoise(x, t, c);
            eps.attach(step);
            eps.toFloatArray();
        }
    }

    /** Top-level operator calls in one pass, from libtorch's profiler trace. */
    private static int calls(LoadedModel model, int batch) throws Exception {
        Path trace = Files.createTempFile("forward-trace", ".json");
        try (NDManager m = model.manager().newSubManager()) {
            NDArray x = m.randomNormal(new Shape(batch, 1, 28, 28));
            NDArray t = m.full(new Shape(batch), 0.5f);
            NDArray c = m.zeros(new Shape(batch, 10));
            JniUtils.startProfile(false, false, false);
            pass(model, x, t, c);
            JniUtils.stopProfile(trace.toString());
        }
        JsonNode root = new ObjectMapper().readTree(trace.toFile());
        JsonNode events = root.isArray() ? root : root.path("traceEvents");
        List<long[]> spans = new ArrayList<>();
        for (JsonNode e : events) {
            if ("X".equals(e.path("ph").asText()) && e.path("name").asText().startsWith("aten::")) {
                spans.add(new long[] {e.path("ts").asLong(), e.path("ts").asLong() + e.path("dur").asLong()});
            }
        }
        spans.sort((a, b) -> a[0] != b[0] ? Long.compare(a[0], b[0]) : Long.compare(b[1], a[1]));
        int top = 0;
        long end = Long.MIN_VALUE;
        for (long[] s : spans) {
            if (s[0] >= end) {
                top++;
                end = s[1];
            }
        }
        Files.deleteIfExists(trace);
        return top;
    }
}
