package org.diffusionworker.training;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.diffusionworker.model.ModelSpec;
import org.diffusionworker.training.data.ImageDataset;
import org.diffusionworker.training.data.SyntheticShapes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Native memory is returned after every batch: RSS stays flat over the epochs of a run. */
class TrainingMemoryTest {

    private static final int WARM_UP_EPOCHS = 4;
    private static final int EPOCHS = 16;
    private static final long ALLOWED_GROWTH_KB = 24 * 1024;

    @TempDir
    Path temp;

    @Test
    void residentMemoryStaysFlatOverTwelveEpochs() throws IOException {
        ImageDataset data = SyntheticShapes.make(64, 16, 5);
        long[] rss = new long[2];
        TrainingListener probe = new TrainingListener() {
            @Override
            public void epochDone(EpochRecord record) {
                if (record.epoch() == WARM_UP_EPOCHS) {
                    rss[0] = residentKb();
                } else if (record.epoch() == EPOCHS) {
                    rss[1] = residentKb();
                }
            }
        };
        // 8 batches of 8 per epoch: 96 optimiser steps between the two readings.
        TrainingSettings settings = new TrainingSettings(EPOCHS, 8, 1e-3, 0.1, EPOCHS, 3, 2, 0, 1);
        new DiffusionTrainer().train(new TrainingJob(data, "synthetic", "leak-probe", 8,
                new ModelSpec.Schedule(100, 1e-4, 0.02), settings, temp.resolve("out"), false, Device.cpu()), probe);
        long growth = rss[1] - rss[0];
        System.err.printf("RSS after epoch %d: %d KB, after epoch %d: %d KB, growth %d KB%n",
                WARM_UP_EPOCHS, rss[0], EPOCHS, rss[1], growth);
        assertTrue(growth < ALLOWED_GROWTH_KB, "RSS grew by " + growth + " KB over "
                + (EPOCHS - WARM_UP_EPOCHS) + " epochs (allowed " + ALLOWED_GROWTH_KB + ")");
    }

    private static long residentKb() {
        System.gc();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }
}
