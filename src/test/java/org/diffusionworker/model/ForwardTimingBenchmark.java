package org.diffusionworker.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Times one forward pass of the 28x28 and 16x16 n_feat 64 networks at batch 1 and 16, to see
 * where sampling time goes. A benchmark, not a test: run with
 * {@code ./mvnw test -Dtest=ForwardTimingBenchmark -DexcludedGroups=none}.
 */
@Tag("benchmark")
class ForwardTimingBenchmark {

    @Test
    void forwardPassTimes() {
        for (int[] cfg : new int[][] {{1, 10, 28}, {3, 5, 16}}) {
            ModelSpec spec = new ModelSpec("bench", new ModelSpec.Architecture("ContextUnet", cfg[0], 64, cfg[1], cfg[2]),
                    java.util.stream.IntStream.range(0, cfg[1]).mapToObj(i -> "l" + i).toList(),
                    new ModelSpec.Schedule(500, 1e-4, 0.02), null, Map.of(), null, null);
            try (LoadedModel model = ModelLoader.randomlyInitialised(spec, 0, Device.cpu())) {
                for (int batch : List.of(1, 16)) {
                    int iterations = 40;
                    long best = Long.MAX_VALUE;
                    for (int i = 0; i < iterations; i++) {
                        try (NDManager m = model.manager().newSubManager()) {
                            NDArray x = m.randomNormal(new Shape(batch, cfg[0], cfg[2], cfg[2]));
                            NDArray t = m.full(new Shape(batch), 0.5f);
                            NDArray c = m.zeros(new Shape(batch, cfg[1]));
                            long start = System.nanoTime();
                            model.predictNoise(x, t, c).toFloatArray();
                            best = Math.min(best, System.nanoTime() - start);
                        }
                    }
                    System.err.printf("forward %dx%dx%d n_feat 64 batch %d: best %.2f ms%n", cfg[2], cfg[2], cfg[0], batch, best / 1e6);
                }
            }
        }
    }
}
