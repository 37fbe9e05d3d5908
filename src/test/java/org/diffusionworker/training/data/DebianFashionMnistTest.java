package org.diffusionworker.training.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestReporter;
import org.junit.jupiter.api.condition.EnabledIf;

/**
 * Reads the real Fashion-MNIST that Debian's {@code dataset-fashion-mnist} package installs, and
 * reports how long it takes. Tagged {@code benchmark}, so the default build skips it; run with
 * {@code ./mvnw test -Dtest=DebianFashionMnistTest -DexcludedGroups=none}.
 */
@Tag("benchmark")
@EnabledIf("debianFilesInstalled")
class DebianFashionMnistTest {

    static final Path DEBIAN_DIRECTORY = Path.of("/usr/share/datasets/fashion-mnist");

    private static final System.Logger LOG = System.getLogger(DebianFashionMnistTest.class.getName());

    static boolean debianFilesInstalled() {
        return java.nio.file.Files.isRegularFile(DEBIAN_DIRECTORY.resolve("train-images-idx3-ubyte.gz"));
    }

    @Test
    void debianFashionMnistHas60000TrainAnd10000TestImagesOf28x28(TestReporter reporter) throws IOException {
        // The first read warms up the JIT and the page cache; the timed reads follow it.
        IdxDatasetReader.readDirectory(DEBIAN_DIRECTORY, DatasetSplit.TRAIN, LabelNames.FASHION_MNIST);
        long start = System.nanoTime();
        ImageDataset train = IdxDatasetReader.readDirectory(DEBIAN_DIRECTORY, DatasetSplit.TRAIN,
                LabelNames.FASHION_MNIST);
        long trainNanos = System.nanoTime() - start;
        start = System.nanoTime();
        ImageDataset test = IdxDatasetReader.readDirectory(DEBIAN_DIRECTORY, DatasetSplit.TEST,
                LabelNames.FASHION_MNIST);
        long testNanos = System.nanoTime() - start;
        start = System.nanoTime();
        String hash = train.contentHash();
        long hashNanos = System.nanoTime() - start;

        assertEquals("60000x1x28x28", train.shape());
        assertEquals("10000x1x28x28", test.shape());
        // Fashion-MNIST is balanced: 6000 training and 1000 test images per class.
        int[] sixThousand = new int[10];
        Arrays.fill(sixThousand, 6000);
        int[] oneThousand = new int[10];
        Arrays.fill(oneThousand, 1000);
        assertArrayEquals(sixThousand, train.labelCounts());
        assertArrayEquals(oneThousand, test.labelCounts());

        String figures = String.format("train read in %d ms, test in %d ms, train content hash in %d ms (%s)",
                trainNanos / 1_000_000, testNanos / 1_000_000, hashNanos / 1_000_000, hash);
        reporter.publishEntry("fashion-mnist", figures);
        LOG.log(Level.INFO, "Fashion-MNIST from " + DEBIAN_DIRECTORY + ": " + figures);
    }
}
