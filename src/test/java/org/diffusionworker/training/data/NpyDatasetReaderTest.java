package org.diffusionworker.training.data;

import static org.diffusionworker.training.data.MessageAssertions.assertMentions;
import static org.diffusionworker.training.data.MessageAssertions.assertNamesFile;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NpyDatasetReaderTest {

    @TempDir
    Path dir;

    // Two 2x2 RGB images, channels last as NumPy holds them: level = NHWC position * 10, then 0 and 255.
    private static final int[] NHWC_LEVELS = levels();

    private static int[] levels() {
        int[] levels = new int[2 * 2 * 2 * 3];
        for (int i = 0; i < levels.length; i++) {
            levels[i] = i * 10;
        }
        levels[0] = 0;
        levels[levels.length - 1] = 255;
        return levels;
    }

    private Path write(String name, byte[] bytes) {
        return IdxBytes.write(dir.resolve(name), bytes);
    }

    private Path rgbImages() {
        return write("images.npy", NpyBytes.npy("|u1", "(2, 2, 2, 3)", NpyBytes.uint8(NHWC_LEVELS)));
    }

    private Path oneHotLabels() {
        return write("labels.npy", NpyBytes.npy("<f8", "(2, 5)", NpyBytes.float64(0, 0, 1, 0, 0, 1, 0, 0, 0, 0)));
    }

    @Test
    void uint8NhwcImagesBecomeNchwInTheUnitRange() throws IOException {
        ImageDataset dataset = NpyDatasetReader.read(rgbImages(), oneHotLabels());

        assertEquals("2x3x2x2", dataset.shape());
        for (int n = 0; n < 2; n++) {
            for (int c = 0; c < 3; c++) {
                for (int y = 0; y < 2; y++) {
                    for (int x = 0; x < 2; x++) {
                        int level = NHWC_LEVELS[((n * 2 + y) * 2 + x) * 3 + c];
                        assertEquals((float) (level / 255.0 * 2 - 1), dataset.pixels()[((n * 3 + c) * 2 + y) * 2 + x],
                                "n=" + n + " c=" + c + " y=" + y + " x=" + x);
                    }
                }
            }
        }
        assertEquals(-1f, dataset.pixels()[0]);
        assertEquals(1f, dataset.pixels()[dataset.pixels().length - 1]);
    }

    @Test
    void threeDimensionalImagesAreOneChannel() throws IOException {
        Path images = write("grey.npy", NpyBytes.npy("|u1", "(2, 1, 3)", NpyBytes.uint8(0, 255, 51, 1, 2, 3)));
        Path labels = write("labels.npy", NpyBytes.npy("<i8", "(2,)", NpyBytes.int64(1, 0)));

        ImageDataset dataset = NpyDatasetReader.read(images, labels);

        assertEquals("2x1x1x3", dataset.shape());
        assertArrayEquals(IdxDatasetReaderTest.levelsToUnit(new int[] {0, 255, 51, 1, 2, 3}), dataset.pixels());
    }

    @Test
    void oneChannelInTheLastAxisIsOneChannel() throws IOException {
        Path images = write("grey.npy", NpyBytes.npy("|u1", "(1, 2, 2, 1)", NpyBytes.uint8(0, 64, 128, 255)));
        Path labels = write("labels.npy", NpyBytes.npy("|u1", "(1,)", NpyBytes.uint8(0)));

        ImageDataset dataset = NpyDatasetReader.read(images, labels);

        assertEquals("1x1x2x2", dataset.shape());
        assertArrayEquals(IdxDatasetReaderTest.levelsToUnit(new int[] {0, 64, 128, 255}), dataset.pixels());
    }

    @Test
    void oneHotNpyLabelsBecomeIndices() throws IOException {
        ImageDataset dataset = NpyDatasetReader.read(rgbImages(), oneHotLabels());

        assertArrayEquals(new int[] {2, 0}, dataset.labels());
        assertEquals(LabelNames.numbered(5), dataset.labelNames());
    }

    @Test
    void oneHotLabelsGetTheGivenNamesPerColumn() throws IOException {
        ImageDataset dataset = NpyDatasetReader.read(rgbImages(), oneHotLabels(), LabelNames.SPRITES);

        assertEquals("food", dataset.labelNames().get(dataset.label(0)));
        assertEquals("hero", dataset.labelNames().get(dataset.label(1)));
    }

    @Test
    void oneHotLabelsAreReadFromFloat32AndUint8() throws IOException {
        Path float32 = write("f4.npy", NpyBytes.npy("<f4", "(2, 3)", NpyBytes.float32(0, 1, 0, 0, 0, 1)));
        Path uint8 = write("u1.npy", NpyBytes.npy("|u1", "(2, 3)", NpyBytes.uint8(0, 1, 0, 0, 0, 1)));

        assertArrayEquals(new int[] {1, 2}, NpyDatasetReader.read(rgbImages(), float32).labels());
        assertArrayEquals(new int[] {1, 2}, NpyDatasetReader.read(rgbImages(), uint8).labels());
    }

    @Test
    void integerNpyLabelsAreReadFromInt64Int32AndUint8() throws IOException {
        Path int64 = write("i8.npy", NpyBytes.npy("<i8", "(2,)", NpyBytes.int64(3, 9)));
        Path int32 = write("i4.npy", NpyBytes.npy("<i4", "(2,)", NpyBytes.int32(3, 9)));
        Path uint8 = write("u1.npy", NpyBytes.npy("|u1", "(2,)", NpyBytes.uint8(3, 9)));

        for (Path labels : List.of(int64, int32, uint8)) {
            ImageDataset dataset = NpyDatasetReader.read(rgbImages(), labels);
            assertArrayEquals(new int[] {3, 9}, dataset.labels(), labels.toString());
            assertEquals(LabelNames.numbered(10), dataset.labelNames());
        }
    }

    @Test
    void npyVersion2And3HeadersAreRead() throws IOException {
        String dict = "{'descr': '<i4', 'fortran_order': False, 'shape': (2L,), }";
        Path version2 = write("v2.npy", NpyBytes.npy(2, dict, NpyBytes.int32(1, 0)));
        Path version3 = write("v3.npy", NpyBytes.npy(3, dict, NpyBytes.int32(1, 0)));

        assertArrayEquals(new int[] {1, 0}, NpyDatasetReader.read(rgbImages(), version2).labels());
        assertArrayEquals(new int[] {1, 0}, NpyDatasetReader.read(rgbImages(), version3).labels());
    }

    @Test
    void labelRowThatIsNotOneHotIsRejectedNamingTheFileAndRow() {
        Path mixed = write("mixed.npy", NpyBytes.npy("<f8", "(2, 3)", NpyBytes.float64(1, 0, 0, 0, 0.5, 0.5)));
        Path twoHot = write("two.npy", NpyBytes.npy("<f4", "(2, 3)", NpyBytes.float32(1, 0, 1, 0, 1, 0)));
        Path noneHot = write("none.npy", NpyBytes.npy("|u1", "(2, 3)", NpyBytes.uint8(0, 1, 0, 0, 0, 0)));

        assertNamesFile(assertThrows(InvalidDatasetException.class, () -> NpyDatasetReader.read(rgbImages(), mixed)),
                mixed, "label row 1 is not one-hot: [0.0, 0.5, 0.5]", "exactly one 1");
        assertNamesFile(assertThrows(InvalidDatasetException.class, () -> NpyDatasetReader.read(rgbImages(), twoHot)),
                twoHot, "label row 0 is not one-hot: [1.0, 0.0, 1.0]");
        assertNamesFile(assertThrows(InvalidDatasetException.class, () -> NpyDatasetReader.read(rgbImages(), noneHot)),
                noneHot, "label row 1 is not one-hot: [0, 0, 0]");
    }

    @Test
    void oneHotColumnsMustMatchTheGivenNames() {
        InvalidDatasetException error = assertThrows(InvalidDatasetException.class,
                () -> NpyDatasetReader.read(rgbImages(), oneHotLabels(), List.of("a", "b", "c")));

        assertNamesFile(error, oneHotLabels(), "5 one-hot label columns but 3 label names");
    }

    @Test
    void integerLabelOutsideTheGivenNamesIsRejectedNamingTheFile() {
        Path labels = write("labels.npy", NpyBytes.npy("<i8", "(2,)", NpyBytes.int64(0, 3)));

        InvalidDatasetException error = assertThrows(InvalidDatasetException.class,
                () -> NpyDatasetReader.read(rgbImages(), labels, List.of("a", "b", "c")));

        assertNamesFile(error, labels, "label 3 of image 1 is outside the 3 label names");
    }

    @Test
    void negativeIntegerLabelIsRejectedNamingTheFile() {
        Path labels = write("labels.npy", NpyBytes.npy("<i4", "(2,)", NpyBytes.int32(0, -1)));

        InvalidDatasetException error = assertThrows(InvalidDatasetException.class,
                () -> NpyDatasetReader.read(rgbImages(), labels));

        assertNamesFile(error, labels, "label -1 of image 1 is not a valid index");
    }

    @Test
    void floatLabelIndicesAreRejected() {
        Path labels = write("labels.npy", NpyBytes.npy("<f4", "(2,)", NpyBytes.float32(0, 1)));

        InvalidDatasetException error = assertThrows(InvalidDatasetException.class,
                () -> NpyDatasetReader.read(rgbImages(), labels));

        assertNamesFile(error, labels, "are <f4", "must be integers");
    }

    @Test
    void labelsOfThreeDimensionsAreRejected() {
        Path labels = write("labels.npy", NpyBytes.npy("|u1", "(2, 1, 1)", NpyBytes.uint8(0, 1)));

        InvalidDatasetException error = assertThrows(InvalidDatasetException.class,
                () -> NpyDatasetReader.read(rgbImages(), labels));

        assertNamesFile(error, labels, "shape (2, 1, 1)", "[N] or one-hot rows [N, classes]");
    }

    @Test
    void fortranOrderIsRejectedNamingTheFile() {
        Path images = write("images.npy", NpyBytes.npy(1,
                "{'descr': '|u1', 'fortran_order': True, 'shape': (2, 2, 2, 3), }", NpyBytes.uint8(NHWC_LEVELS)));

        InvalidDatasetException error = assertThrows(InvalidDatasetException.class,
                () -> NpyDatasetReader.read(images, oneHotLabels()));

        assertNamesFile(error, images, "fortran_order is True", "not supported");
    }

    @Test
    void bigEndianDtypeIsRejectedNamingTheFile() {
        Path labels = write("labels.npy", NpyBytes.npy(">i8", "(2,)", new byte[16]));

        InvalidDatasetException error = assertThrows(InvalidDatasetException.class,
                () -> NpyDatasetReader.read(rgbImages(), labels));

        assertNamesFile(error, labels, "big-endian dtype '>i8' is not supported");
    }

    @Test
    void unsupportedDtypeIsRejectedNamingTheSupportedOnes() {
        Path labels = write("labels.npy", NpyBytes.npy("<f2", "(2,)", new byte[4]));

        InvalidDatasetException error = assertThrows(InvalidDatasetException.class,
                () -> NpyDatasetReader.read(rgbImages(), labels));

        assertNamesFile(error, labels, "unsupported dtype '<f2'", "|u1, <i4, <i8, <f4, <f8");
    }

    @Test
    void structuredDtypeIsRejectedNamingTheFile() {
        Path labels = write("labels.npy", NpyBytes.npy(1,
                "{'descr': [('a', '<i4')], 'fortran_order': False, 'shape': (2,), }", new byte[8]));

        InvalidDatasetException error = assertThrows(InvalidDatasetException.class,
                () -> NpyDatasetReader.read(rgbImages(), labels));

        assertNamesFile(error, labels, "structured (record) dtypes are not supported");
    }

    @Test
    void floatImagesAreRejectedNamingTheFile() {
        Path images = write("images.npy", NpyBytes.npy("<f4", "(2, 1, 1)", NpyBytes.float32(0, 1)));

        InvalidDatasetException error = assertThrows(InvalidDatasetException.class,
                () -> NpyDatasetReader.read(images, oneHotLabels()));

        assertNamesFile(error, images, "images are <f4", "expected uint8 (|u1)");
    }

    @Test
    void fourChannelImagesAreRejectedNamingTheFile() {
        Path images = write("rgba.npy", NpyBytes.npy("|u1", "(2, 1, 1, 4)", new byte[8]));

        InvalidDatasetException error = assertThrows(InvalidDatasetException.class,
                () -> NpyDatasetReader.read(images, oneHotLabels()));

        assertNamesFile(error, images, "4 channels in the last axis", "expected 1 or 3");
    }

    @Test
    void imageAndLabelCountMismatchIsRejectedNamingBothFiles() {
        Path labels = write("three.npy", NpyBytes.npy("<i8", "(3,)", NpyBytes.int64(0, 1, 2)));

        InvalidDatasetException error = assertThrows(InvalidDatasetException.class,
                () -> NpyDatasetReader.read(rgbImages(), labels));

        assertMentions(error, rgbImages().toString(), "2 images", labels.toString(), "3 labels");
    }

    @Test
    void badMagicIsRejectedNamingTheFile() {
        Path images = write("images.npy", "not a numpy file at all".getBytes());

        InvalidDatasetException error = assertThrows(InvalidDatasetException.class,
                () -> NpyDatasetReader.read(images, oneHotLabels()));

        assertNamesFile(error, images, "bad magic number", "\\x93NUMPY");
    }

    @Test
    void gzippedAndZippedFilesGetAHint() {
        Path gzipped = write("images.npy.gz", IdxBytes.gzip(NpyBytes.npy("|u1", "(2, 1, 1)", new byte[2])));
        Path zipped = write("images.npz", new byte[] {'P', 'K', 3, 4, 20, 0, 0, 0, 0, 0});

        assertNamesFile(assertThrows(InvalidDatasetException.class,
                () -> NpyDatasetReader.read(gzipped, oneHotLabels())), gzipped, "gzip-compressed");
        assertNamesFile(assertThrows(InvalidDatasetException.class,
                () -> NpyDatasetReader.read(zipped, oneHotLabels())), zipped, "zip archive (.npz?)");
    }

    @Test
    void unsupportedVersionIsRejectedNamingTheFile() {
        byte[] bytes = NpyBytes.npy("|u1", "(2, 1, 1)", new byte[2]);
        bytes[6] = 4;
        Path images = write("images.npy", bytes);

        InvalidDatasetException error = assertThrows(InvalidDatasetException.class,
                () -> NpyDatasetReader.read(images, oneHotLabels()));

        assertNamesFile(error, images, "unsupported NPY format version 4.0");
    }

    @Test
    void truncatedNpyDataIsRejectedNamingTheFile() {
        byte[] whole = NpyBytes.npy("|u1", "(2, 2, 2, 3)", NpyBytes.uint8(NHWC_LEVELS));
        Path images = write("images.npy", Arrays.copyOf(whole, whole.length - 5));

        InvalidDatasetException error = assertThrows(InvalidDatasetException.class,
                () -> NpyDatasetReader.read(images, oneHotLabels()));

        assertNamesFile(error, images, "truncated", "(2, 2, 2, 3) of |u1 needs 24 data bytes but only 19 follow");
    }

    @Test
    void truncatedNpyHeaderIsRejectedNamingTheFile() {
        Path images = write("images.npy", Arrays.copyOf(NpyBytes.npy("|u1", "(2, 1, 1)", new byte[2]), 30));

        InvalidDatasetException error = assertThrows(InvalidDatasetException.class,
                () -> NpyDatasetReader.read(images, oneHotLabels()));

        assertNamesFile(error, images, "truncated", "NPY header is 118 bytes but only 20 follow");
    }

    @Test
    void npyWithBytesBeyondItsShapeIsRejectedNamingTheFile() {
        Path labels = write("labels.npy", NpyBytes.npy("<i8", "(2,)", NpyBytes.int64(0, 1, 2)));

        InvalidDatasetException error = assertThrows(InvalidDatasetException.class,
                () -> NpyDatasetReader.read(rgbImages(), labels));

        assertNamesFile(error, labels, "8 bytes more than shape (2,) of <i8 needs");
    }
}
