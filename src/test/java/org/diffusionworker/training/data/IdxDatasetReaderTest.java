package org.diffusionworker.training.data;

import static org.diffusionworker.training.data.MessageAssertions.assertMentions;
import static org.diffusionworker.training.data.MessageAssertions.assertNamesFile;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxDatasetReaderTest {

    @TempDir
    Path dir;

    // Two 2x3 images: levels chosen so 0 -> -1, 255 -> 1 and a middle value are all checked.
    private static final int[] FIRST = {0, 255, 51, 102, 153, 204};
    private static final int[] SECOND = {255, 0, 1, 254, 128, 127};

    private Path imagesFile() {
        return IdxBytes.write(dir.resolve("train-images-idx3-ubyte"), IdxBytes.images(2, 3, FIRST, SECOND));
    }

    private Path labelsFile() {
        return IdxBytes.write(dir.resolve("train-labels-idx1-ubyte"), IdxBytes.labels(7, 2));
    }

    @Test
    void plainIdxReadsPixelsLabelsAndShape() throws IOException {
        ImageDataset dataset = IdxDatasetReader.read(imagesFile(), labelsFile());

        assertEquals("2x1x2x3", dataset.shape());
        assertArrayEquals(new int[] {7, 2}, dataset.labels());
        assertEquals(-1f, dataset.pixels()[0]);
        assertEquals(1f, dataset.pixels()[1]);
        assertEquals((float) (51 / 255.0 * 2 - 1), dataset.pixels()[2]);
        assertArrayEquals(levelsToUnit(SECOND), dataset.image(1));
    }

    @Test
    void labelNamesDefaultToNumbersUpToTheLargestLabel() throws IOException {
        ImageDataset dataset = IdxDatasetReader.read(imagesFile(), labelsFile());

        assertEquals(List.of("0", "1", "2", "3", "4", "5", "6", "7"), dataset.labelNames());
    }

    @Test
    void givenLabelNamesAreKept() throws IOException {
        ImageDataset dataset = IdxDatasetReader.read(imagesFile(), labelsFile(), LabelNames.FASHION_MNIST);

        assertEquals(LabelNames.FASHION_MNIST, dataset.labelNames());
        assertEquals("sneaker", dataset.labelNames().get(dataset.label(0)));
    }

    @Test
    void gzippedIdxReadsTheSameAsPlain() throws IOException {
        ImageDataset plain = IdxDatasetReader.read(imagesFile(), labelsFile());
        Path images = IdxBytes.write(dir.resolve("images.gz"), IdxBytes.gzip(IdxBytes.images(2, 3, FIRST, SECOND)));
        Path labels = IdxBytes.write(dir.resolve("labels.gz"), IdxBytes.gzip(IdxBytes.labels(7, 2)));

        assertEquals(plain, IdxDatasetReader.read(images, labels));
    }

    @Test
    void gzipIsDetectedByItsMagicBytesNotByTheFileName() throws IOException {
        ImageDataset plain = IdxDatasetReader.read(imagesFile(), labelsFile());
        Path gzippedWithoutSuffix = IdxBytes.write(dir.resolve("images-idx3-ubyte"),
                IdxBytes.gzip(IdxBytes.images(2, 3, FIRST, SECOND)));
        Path plainWithSuffix = IdxBytes.write(dir.resolve("labels-idx1-ubyte.gz"), IdxBytes.labels(7, 2));

        assertEquals(plain, IdxDatasetReader.read(gzippedWithoutSuffix, plainWithSuffix));
    }

    @Test
    void truncatedIdxImagesFileIsRejectedNamingTheFile() {
        byte[] whole = IdxBytes.images(2, 3, FIRST, SECOND);
        Path images = IdxBytes.write(dir.resolve("cut-images"), Arrays.copyOf(whole, whole.length - 4));

        InvalidDatasetException error = assertThrows(InvalidDatasetException.class,
                () -> IdxDatasetReader.read(images, labelsFile()));

        assertNamesFile(error, images, "truncated", "2 images of 2x3", "12 bytes", "only 8 bytes follow");
        assertEquals(images, error.file().orElseThrow());
    }

    @Test
    void truncatedGzippedIdxFileIsRejectedNamingTheFile() {
        byte[] gzipped = IdxBytes.gzip(IdxBytes.images(2, 3, FIRST, SECOND));
        Path images = IdxBytes.write(dir.resolve("cut-images.gz"), Arrays.copyOf(gzipped, gzipped.length - 10));

        InvalidDatasetException error = assertThrows(InvalidDatasetException.class,
                () -> IdxDatasetReader.read(images, labelsFile()));

        assertNamesFile(error, images, "truncated");
    }

    @Test
    void corruptGzipDataIsRejectedNamingTheFile() {
        byte[] gzipped = IdxBytes.gzip(IdxBytes.images(2, 3, FIRST, SECOND));
        Arrays.fill(gzipped, 10, gzipped.length, (byte) 0xFF);
        Path images = IdxBytes.write(dir.resolve("corrupt-images.gz"), gzipped);

        InvalidDatasetException error = assertThrows(InvalidDatasetException.class,
                () -> IdxDatasetReader.read(images, labelsFile()));

        assertNamesFile(error, images, "not valid gzip data");
    }

    @Test
    void idxHeaderWithAZeroDimensionIsRejectedNamingTheFile() {
        Path images = IdxBytes.write(dir.resolve("empty-images"), IdxBytes.idx(IdxBytes.IMAGES_MAGIC,
                new int[] {2, 0, 3}, new byte[0]));

        InvalidDatasetException error = assertThrows(InvalidDatasetException.class,
                () -> IdxDatasetReader.read(images, labelsFile()));

        assertNamesFile(error, images, "dimension 1 as 0", "at least 1");
    }

    @Test
    void idxFileEndingInsideItsHeaderIsRejectedNamingTheFile() {
        Path labels = IdxBytes.write(dir.resolve("short-labels"), new byte[] {0, 0, 8, 1, 0, 0});

        InvalidDatasetException error = assertThrows(InvalidDatasetException.class,
                () -> IdxDatasetReader.read(imagesFile(), labels));

        assertNamesFile(error, labels, "truncated", "inside the IDX header");
    }

    @Test
    void idxFileLongerThanItsHeaderSaysIsRejectedNamingTheFile() {
        byte[] whole = IdxBytes.labels(7, 2);
        Path labels = IdxBytes.write(dir.resolve("long-labels"), Arrays.copyOf(whole, whole.length + 1));

        InvalidDatasetException error = assertThrows(InvalidDatasetException.class,
                () -> IdxDatasetReader.read(imagesFile(), labels));

        assertNamesFile(error, labels, "more bytes than its header announces");
    }

    @Test
    void badMagicNumberIsRejectedNamingTheFile() {
        Path images = IdxBytes.write(dir.resolve("not-idx.png"), IdxBytes.idx(0x89504E47, new int[] {1, 1, 1},
                new byte[] {0}));

        InvalidDatasetException error = assertThrows(InvalidDatasetException.class,
                () -> IdxDatasetReader.read(images, labelsFile()));

        assertNamesFile(error, images, "bad magic number 0x89504E47", "expected 2051 (0x00000803");
    }

    @Test
    void swappedImagesAndLabelsFilesAreRejectedWithAHint() {
        InvalidDatasetException error = assertThrows(InvalidDatasetException.class,
                () -> IdxDatasetReader.read(labelsFile(), imagesFile()));

        assertNamesFile(error, imagesFile(), "bad magic number 2051", "expected 2049", "swapped");
    }

    @Test
    void nonByteIdxElementTypeIsRejectedAsUnsupported() {
        Path images = IdxBytes.write(dir.resolve("float-images"), IdxBytes.idx(0x00000D03, new int[] {1, 1, 1},
                new byte[4]));

        InvalidDatasetException error = assertThrows(InvalidDatasetException.class,
                () -> IdxDatasetReader.read(images, labelsFile()));

        assertNamesFile(error, images, "unsupported IDX element type 0x0D (float32)", "only unsigned bytes");
    }

    @Test
    void imageAndLabelCountMismatchIsRejectedNamingBothFiles() {
        Path labels = IdxBytes.write(dir.resolve("three-labels"), IdxBytes.labels(1, 2, 3));

        InvalidDatasetException error = assertThrows(InvalidDatasetException.class,
                () -> IdxDatasetReader.read(imagesFile(), labels));

        assertMentions(error, imagesFile().toString(), "2 images", labels.toString(), "3 labels");
    }

    @Test
    void labelOutsideTheGivenNamesIsRejectedNamingTheFile() {
        InvalidDatasetException error = assertThrows(InvalidDatasetException.class,
                () -> IdxDatasetReader.read(imagesFile(), labelsFile(), List.of("a", "b", "c")));

        assertNamesFile(error, labelsFile(), "label 7 of image 0", "outside the 3 label names");
    }

    @Test
    void missingFileIsRejectedNamingIt() {
        Path missing = dir.resolve("nowhere-idx3-ubyte");

        InvalidDatasetException error = assertThrows(InvalidDatasetException.class,
                () -> IdxDatasetReader.read(missing, labelsFile()));

        assertNamesFile(error, missing, "images file does not exist");
    }

    @Test
    void directoryWithTheStandardGzippedNamesReadsBothSplits() throws IOException {
        IdxBytes.write(dir.resolve("train-images-idx3-ubyte.gz"), IdxBytes.gzip(IdxBytes.images(2, 3, FIRST, SECOND)));
        IdxBytes.write(dir.resolve("train-labels-idx1-ubyte.gz"), IdxBytes.gzip(IdxBytes.labels(7, 2)));
        IdxBytes.write(dir.resolve("t10k-images-idx3-ubyte.gz"), IdxBytes.gzip(IdxBytes.images(2, 3, SECOND)));
        IdxBytes.write(dir.resolve("t10k-labels-idx1-ubyte.gz"), IdxBytes.gzip(IdxBytes.labels(9)));

        ImageDataset train = IdxDatasetReader.readDirectory(dir, DatasetSplit.TRAIN, LabelNames.FASHION_MNIST);
        ImageDataset test = IdxDatasetReader.readDirectory(dir, DatasetSplit.TEST, LabelNames.FASHION_MNIST);

        assertEquals(2, train.count());
        assertArrayEquals(new int[] {7, 2}, train.labels());
        assertEquals(1, test.count());
        assertArrayEquals(new int[] {9}, test.labels());
        assertArrayEquals(levelsToUnit(SECOND), test.image(0));
    }

    @Test
    void directoryWithDottedPlainNamesIsReadToo() throws IOException {
        IdxBytes.write(dir.resolve("t10k-images.idx3-ubyte"), IdxBytes.images(2, 3, FIRST));
        IdxBytes.write(dir.resolve("t10k-labels.idx1-ubyte"), IdxBytes.labels(4));

        IdxDatasetReader.IdxFiles files = IdxDatasetReader.findFiles(dir, DatasetSplit.TEST);

        assertEquals(dir.resolve("t10k-images.idx3-ubyte"), files.images());
        assertEquals(dir.resolve("t10k-labels.idx1-ubyte"), files.labels());
        assertEquals(1, IdxDatasetReader.readDirectory(dir, DatasetSplit.TEST).count());
    }

    @Test
    void directoryWithoutTheSplitsFilesNamesWhatWasLookedFor() {
        imagesFile();
        labelsFile();

        InvalidDatasetException error = assertThrows(InvalidDatasetException.class,
                () -> IdxDatasetReader.readDirectory(dir, DatasetSplit.TEST));

        assertNamesFile(error, dir, "has no TEST images file", "t10k-images-idx3-ubyte", "t10k-images-idx3-ubyte.gz");
    }

    @Test
    void invalidLabelNamesAreRejectedBeforeReading() {
        InvalidDatasetException error = assertThrows(InvalidDatasetException.class,
                () -> IdxDatasetReader.read(imagesFile(), labelsFile(), List.of("a", "a")));

        assertTrue(error.getMessage().contains("'a' appears twice"), error.getMessage());
    }

    static float[] levelsToUnit(int[] levels) {
        float[] values = new float[levels.length];
        for (int i = 0; i < levels.length; i++) {
            values[i] = (float) (levels[i] / 255.0 * 2 - 1);
        }
        return values;
    }
}
