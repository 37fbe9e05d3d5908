package org.diffusionworker.worker;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.diffusionworker.embedded.EmbeddedS3Server;
import org.diffusionworker.imaging.PngEncoder;
import org.diffusionworker.storage.MinioObjectStore;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What storing a request's single images (layout images/both) costs: 64 PNGs of 28x28 noise (the largest count the
 * default limits allow) put one after the other, against the same puts spread over 2, 4 and 8 threads, on the
 * embedded S3 server (S3Proxy), rounds interleaved, medians reported. It decided that ResultStore puts them side by
 * side, {@link ResultStore#PARALLEL_PUTS} at a time (docs/worker.md). Reports figures, asserts nothing. Run with
 * {@code ./mvnw -B -o -Pbench test -Dtest=ImageUploadBenchmark}.
 */
@Tag("benchmark")
class ImageUploadBenchmark {

    static final int IMAGES = 64;
    static final int ROUNDS = 7;
    static final int[] THREADS = {1, 2, 4, 8};

    @TempDir
    Path directory;

    @Test
    void sequentialAgainstParallelPuts() throws Exception {
        List<byte[]> pngs = new ArrayList<>();
        Random random = new Random(7);
        for (int i = 0; i < IMAGES; i++) {
            BufferedImage image = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
            for (int y = 0; y < 28; y++) {
                for (int x = 0; x < 28; x++) {
                    image.getRaster().setSample(x, y, 0, random.nextInt(256));
                }
            }
            pngs.add(PngEncoder.encode(image));
        }
        double[][] millis = new double[THREADS.length][ROUNDS];
        try (EmbeddedS3Server s3 = EmbeddedS3Server.builder(directory.resolve("s3")).build().start();
             MinioObjectStore store = new MinioObjectStore(GenerationWorkerTest.storeSettings(s3, "uploads"))) {
            store.ensureBucket();
            putAll(store, pngs, 1, "warm-up"); // connections and JIT
            for (int round = 0; round < ROUNDS; round++) {
                for (int t = 0; t < THREADS.length; t++) {
                    millis[t][round] = putAll(store, pngs, THREADS[t], "r" + round + "-t" + THREADS[t]);
                }
            }
        }
        System.out.printf(Locale.ROOT, "%d PNGs of %d bytes on average, %d interleaved rounds, median (min..max) ms:%n",
                IMAGES, pngs.stream().mapToInt(b -> b.length).sum() / IMAGES, ROUNDS);
        for (int t = 0; t < THREADS.length; t++) {
            double[] m = millis[t].clone();
            Arrays.sort(m);
            System.out.printf(Locale.ROOT, "  %d thread(s): %.0f (%.0f..%.0f)%n", THREADS[t], m[ROUNDS / 2], m[0],
                    m[ROUNDS - 1]);
        }
    }

    private static double putAll(MinioObjectStore store, List<byte[]> pngs, int threads, String run) throws Exception {
        long start = System.nanoTime();
        if (threads == 1) {
            for (int i = 0; i < pngs.size(); i++) {
                store.put("bench/" + run + "/images/" + i + ".png", pngs.get(i), ResultStore.PNG, Map.of());
            }
        } else {
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                List<Future<?>> puts = new ArrayList<>();
                for (int i = 0; i < pngs.size(); i++) {
                    int index = i;
                    puts.add(pool.submit(() -> store.put("bench/" + run + "/images/" + index + ".png", pngs.get(index),
                            ResultStore.PNG, Map.of())));
                }
                for (Future<?> f : puts) {
                    f.get();
                }
            } finally {
                pool.shutdownNow();
            }
        }
        return (System.nanoTime() - start) / 1e6;
    }
}
