package org.diffusionworker.training.data;

import static org.diffusionworker.training.data.MessageAssertions.assertMentions;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetLoaderTest {

    @TempDir
    Path dir;

    private void writeIdxSplits() {
        IdxBytes.write(dir.resolve("train-images-idx3-ubyte.gz"), IdxBytes.gzip(IdxBytes.images(1, 1, new int[] {0},
                new int[] {255})));
        IdxBytes.write(dir.resolve("train-labels-idx1-ubyte.gz"), IdxBytes.gzip(IdxBytes.labels(1, 9)));
        IdxBytes.write(dir.resolve("t10k-images-idx3-ubyte.gz"), IdxBytes.gzip(IdxBytes.images(1, 1, new int[] {7})));
        IdxBytes.write(dir.resolve("t10k-labels-idx1-ubyte.gz"), IdxBytes.gzip(IdxBytes.labels(3)));
    }

    @Test
    void idxDirectoryLoadsTheChosenSplitWithTheGivenNames() throws IOException {
        writeIdxSplits();

        ImageDataset train = DatasetLoader.load(DatasetFormat.IDX, dir, Optional.empty(),
                Optional.of(LabelNames.FASHION_MNIST));
        ImageDataset test = DatasetLoader.load(DatasetFormat.IDX, dir, Optional.empty(), Optional.empty(),
                DatasetSplit.TEST);

        assertArrayEquals(new int[] {1, 9}, train.labels());
        assertEquals(LabelNames.FASHION_MNIST, train.labelNames());
        assertArrayEquals(new int[] {3}, test.labels());
        assertEquals(LabelNames.numbered(4), test.labelNames());
    }

    @Test
    void idxFilesLoadWithTheirLabelsFile() throws IOException {
        writeIdxSplits();

        ImageDataset dataset = DatasetLoader.load(DatasetFormat.IDX, dir.resolve("train-images-idx3-ubyte.gz"),
                Optional.of(dir.resolve("train-labels-idx1-ubyte.gz")), Optional.empty());

        assertEquals(2, dataset.count());
    }

    @Test
    void idxImagesFileWithoutLabelsIsRejected() {
        writeIdxSplits();
        Path images = dir.resolve("train-images-idx3-ubyte.gz");

        InvalidDatasetException error = assertThrows(InvalidDatasetException.class,
                () -> DatasetLoader.load(DatasetFormat.IDX, images, Optional.empty(), Optional.empty()));

        assertMentions(error, images.toString(), "needs a labels file");
    }

    @Test
    void idxDirectoryWithALabelsFileIsRejected() {
        writeIdxSplits();

        InvalidDatasetException error = assertThrows(InvalidDatasetException.class,
                () -> DatasetLoader.load(DatasetFormat.IDX, dir, Optional.of(dir.resolve("x")), Optional.empty()));

        assertMentions(error, "is a directory, which holds its own labels");
    }

    @Test
    void npyLoadsImagesWithTheirLabels() throws IOException {
        Path images = IdxBytes.write(dir.resolve("sprites.npy"), NpyBytes.npy("|u1", "(1, 1, 1, 3)",
                NpyBytes.uint8(255, 0, 255)));
        Path labels = IdxBytes.write(dir.resolve("labels.npy"), NpyBytes.npy("<f8", "(1, 5)",
                NpyBytes.float64(0, 0, 0, 1, 0)));

        ImageDataset dataset = DatasetLoader.load(DatasetFormat.NPY, images, Optional.of(labels),
                Optional.of(LabelNames.SPRITES));

        assertArrayEquals(new float[] {1, -1, 1}, dataset.pixels());
        assertEquals("spell", dataset.labelNames().get(dataset.label(0)));
    }

    @Test
    void npyWithoutLabelsIsRejected() {
        InvalidDatasetException error = assertThrows(InvalidDatasetException.class,
                () -> DatasetLoader.load(DatasetFormat.NPY, dir.resolve("a.npy"), Optional.empty(), Optional.empty()));

        assertMentions(error, "needs a labels .npy file");
    }

    @Test
    void folderLoadsAndRefusesLabelsOrNames() throws IOException {
        Files.createDirectories(dir.resolve("only"));
        ImageIO.write(new BufferedImage(1, 1, BufferedImage.TYPE_BYTE_GRAY), "png", dir.resolve("only/a.png").toFile());

        assertEquals(List.of("only"),
                DatasetLoader.load(DatasetFormat.FOLDER, dir, Optional.empty(), Optional.empty()).labelNames());
        assertMentions(assertThrows(InvalidDatasetException.class, () -> DatasetLoader.load(DatasetFormat.FOLDER, dir,
                Optional.of(dir.resolve("labels.npy")), Optional.empty())), "takes its labels from its sub-folders");
        assertMentions(assertThrows(InvalidDatasetException.class, () -> DatasetLoader.load(DatasetFormat.FOLDER, dir,
                Optional.empty(), Optional.of(List.of("x")))), "takes its label names from its sub-folder names");
    }

    @Test
    void testSplitOfSomethingOtherThanAnIdxDirectoryIsRejected() {
        InvalidDatasetException error = assertThrows(InvalidDatasetException.class,
                () -> DatasetLoader.load(DatasetFormat.NPY, dir.resolve("a.npy"), Optional.of(dir.resolve("b.npy")),
                        Optional.empty(), DatasetSplit.TEST));

        assertMentions(error, "TEST split can only be chosen for an IDX directory");
    }
}
