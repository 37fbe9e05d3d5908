package org.diffusionworker.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * What one forward pass of the shipped model costs per image as the pass grows, with every row at one timestep (a
 * batch started together) and with rows spread over the schedule (a continuous batch whose runs are at different
 * steps), interleaved rounds, medians and ranges. The worker's {@code max-images} and {@code overtake-images} decide
 * the pass sizes; this shows where a larger pass stops paying on the machine at hand. A benchmark, not a test:
 * {@code ./mvnw -Pbench test -Dtest=PassSizeBenchmark} (BENCH_SIZES=16,32,48,56,64,72,80,96, BENCH_ROUNDS=5,
 * BENCH_MODEL=models/fashion-mnist).
 */
@Tag("benchmark")
class PassSizeBenchmark {

    @Test
    void perImageCostByPassSize() {
        List<Integer> sizes = Arrays.stream(System.getenv().getOrDefault("BENCH_SIZES", "16,32,48,56,64,72,80,96")
                .split(",")).map(Integer::parseInt).toList();
        int rounds = Integer.parseInt(System.getenv().getOrDefault("BENCH_ROUNDS", "5"));
        Path directory = Path.of(System.getenv().getOrDefault("BENCH_MODEL", "models/fashion-mnist"));
        DjlRuntime.engine();
        try (LoadedModel model = ModelLoader.fromDirectory(directory, Device.cpu())) {
            DjlRuntime.disableGradientsOnThisThread();
            int labels = model.spec().labels().size();
            double[][][] ms = new double[sizes.size()][2][rounds];
            for (int r = 0; r < rounds; r++) {
                for (int s = 0; s < sizes.size(); s++) {
                    for (int spread = 0; spread < 2; spread++) {
                        ms[s][spread][r] = time(model, sizes.get(s), labels, spread == 1, 6);
                    }
                }
                System.err.printf(Locale.ROOT, "round %d of %d done%n", r + 1, rounds);
            }
            System.out.println("| pass rows | timesteps | ms per pass, median (min-max) | ms per image |");
            System.out.println("|---:|---|---:|---:|");
            for (int s = 0; s < sizes.size(); s++) {
                for (int spread = 0; spread < 2; spread++) {
                    double[] v = ms[s][spread].clone();
                    Arrays.sort(v);
                    System.out.printf(Locale.ROOT, "| %d | %s | %.1f (%.1f-%.1f) | %.2f |%n", sizes.get(s),
                            spread == 1 ? "spread" : "one", v[rounds / 2], v[0], v[rounds - 1],
                            v[rounds / 2] / sizes.get(s));
                }
            }
        }
    }

    /**
     * A pass's inputs: {@code rows} noisy 28x28 images, their timesteps (all at one, or spread over 25 steps) and
     * one-hot contexts over {@code labels} labels.
     */
    static NDList inputs(NDManager m, int rows, int labels, boolean spread) {
        float[] t = new float[rows];
        float[] oneHot = new float[rows * labels];
        for (int i = 0; i < rows; i++) {
            t[i] = spread ? (i % 25 + 1) / 25f : 0.5f;
            oneHot[i * labels + i % labels] = 1;
        }
        return new NDList(m.randomNormal(new Shape(rows, 1, 28, 28)), m.create(t),
                m.create(oneHot, new Shape(rows, labels)));
    }

    /** Mean milliseconds of one pass over {@code passes} passes (after one untimed). */
    private static double time(LoadedModel model, int rows, int labels, boolean spread, int passes) {
        try (NDManager m = model.manager().newSubManager()) {
            NDList in = inputs(m, rows, labels, spread);
            NDArray x = in.get(0);
            NDArray times = in.get(1);
            NDArray c = in.get(2);
            ForwardTimingBenchmark.pass(model, x, times, c);
            long start = System.nanoTime();
            for (int i = 0; i < passes; i++) {
                ForwardTimingBenchmark.pass(model, x, times, c);
            }
            return (System.nanoTime() - start) / 1e6 / passes;
        }
    }
}
