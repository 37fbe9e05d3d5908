package org.diffusionworker.training;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.Device;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.diffusionworker.training.data.DatasetSplit;
import org.diffusionworker.training.data.IdxDatasetReader;
import org.diffusionworker.training.data.ImageDataset;
import org.diffusionworker.training.data.LabelNames;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Training throughput on Debian's Fashion-MNIST (28 x 28 x 1) for a few dozen batches per
 * configuration. Not a test: run on demand with
 * {@code ./mvnw -Pbench test -Dtest=TrainingSpeedBenchmark}; configurations from the
 * environment, {@code BENCH_CONFIGS="32x64,32x128,64x64,64x128"} (n_feat x batch) and
 * {@code BENCH_BATCHES=30}. Prints the median images/s over the batches after the first three.
 */
@Tag("benchmark")
class TrainingSpeedBenchmark {

    private static final Path FASHION_MNIST = Path.of("/usr/share/datasets/fashion-mnist");

    @TempDir
    Path temp;

    @Test
    void imagesPerSecondOnFashionMnist() throws IOException {
        assumeTrue(Files.isDirectory(FASHION_MNIST), "no Fashion-MNIST at " + FASHION_MNIST);
        String configs = System.getenv().getOrDefault("BENCH_CONFIGS", "32x64,32x128,64x64,64x128");
        int batches = Integer.parseInt(System.getenv().getOrDefault("BENCH_BATCHES", "30"));
        ImageDataset all = IdxDatasetReader.readDirectory(FASHION_MNIST, DatasetSplit.TRAIN, LabelNames.FASHION_MNIST);
        for (String config : configs.split(",")) {
            String[] parts = config.split("x");
            int nFeat = Integer.parseInt(parts[0]);
            int batchSize = Integer.parseInt(parts[1]);
            List<Double> speeds = new ArrayList<>();
            TrainingListener probe = new TrainingListener() {
                @Override
                public void batchDone(int epoch, int batch, float loss, double imagesPerSecond) {
                    if (batch > 3) {
                        speeds.add(imagesPerSecond);
                    }
                }
            };
            TrainingSettings settings = new TrainingSettings(1, batchSize, 1e-3, 0.1, 1, 0, 1, 0, 1);
            long start = System.nanoTime();
            new DiffusionTrainer().train(new TrainingJob(all.take(batchSize * batches), "fashion-mnist",
                    "bench", nFeat, TrainingJob.COURSE_SCHEDULE, settings, temp.resolve(config), false, Device.cpu()),
                    probe);
            double[] sorted = speeds.stream().mapToDouble(Double::doubleValue).sorted().toArray();
            double median = sorted[sorted.length / 2];
            System.err.printf(Locale.ROOT, "BENCH n_feat=%d batch=%d: median %.1f images/s (min %.1f, max %.1f) over"
                    + " %d batches; %.0f s for the run; 60000 images/epoch -> %.1f min/epoch%n", nFeat, batchSize,
                    median, sorted[0], sorted[sorted.length - 1], sorted.length, (System.nanoTime() - start) / 1e9,
                    60000 / median / 60);
            System.err.println("BENCH speeds " + Arrays.toString(Arrays.stream(sorted).map(Math::round).toArray()));
        }
    }
}
