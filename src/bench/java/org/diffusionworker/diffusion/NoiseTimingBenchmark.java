package org.diffusionworker.diffusion;

import ai.djl.ndarray.NDManager;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Cost of drawing per-image noise for one sampling step. Run with {@code ./mvnw -Pbench test -Dtest=NoiseTimingBenchmark}. */
@Tag("benchmark")
class NoiseTimingBenchmark {

    @Test
    void perStepNoiseCost() {
        try (NDManager m = NDManager.newBaseManager()) {
            for (int batch : new int[] {1, 16, 64}) {
                ImageNoise noise = new ImageNoise(java.util.stream.IntStream.range(0, batch)
                        .mapToObj(i -> new ImageNoise.ImageSeed(1, i)).toList(), 3, 16, 16);
                for (int i = 0; i < 200; i++) {
                    noise.next(m).close();
                }
                long start = System.nanoTime();
                int n = 500;
                for (int i = 0; i < n; i++) {
                    noise.next(m).close();
                }
                System.err.printf("noise 3x16x16 batch %d: %.1f us per step%n", batch, (System.nanoTime() - start) / 1e3 / n);
            }
        }
    }
}
