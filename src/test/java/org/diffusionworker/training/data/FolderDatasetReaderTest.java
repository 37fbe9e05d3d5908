package org.diffusionworker.training.data;

import static org.diffusionworker.training.data.MessageAssertions.assertNamesFile;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.awt.image.BufferedImage;
import java.awt.image.WritableRaster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FolderDatasetReaderTest {

    @TempDir
    Path dir;

    private Path folder(String name) throws IOException {
        return Files.createDirectories(dir.resolve(name));
    }

    /** A grey PNG of {@code width} columns whose samples are {@code levels}, row by row. */
    private static Path writeGrey(Path file, int width, int... levels) throws IOException {
        BufferedImage image = new BufferedImage(width, levels.length / width, BufferedImage.TYPE_BYTE_GRAY);
        WritableRaster raster = image.getRaster();
        raster.setSamples(0, 0, width, levels.length / width, 0, levels);
        return write(image, file);
    }

    /** A colour PNG of {@code width} columns whose pixels are {@code rgb} (0xRRGGBB), row by row. */
    private static Path writeRgb(Path file, int width, int... rgb) throws IOException {
        BufferedImage image = new BufferedImage(width, rgb.length / width, BufferedImage.TYPE_INT_RGB);
        image.setRGB(0, 0, width, rgb.length / width, rgb, 0, width);
        return write(image, file);
    }

    private static Path write(BufferedImage image, Path file) throws IOException {
        String format = file.toString().endsWith(".png") ? "png" : "jpeg";
        ImageIO.write(image, format, file.toFile());
        return file;
    }

    private static float unit(int level) {
        return (float) (level / 255.0 * 2 - 1);
    }

    @Test
    void greyPngFoldersBecomeOneChannelWithTheFolderNamesAsLabels() throws IOException {
        writeGrey(folder("dog").resolve("b.png"), 2, 0, 255, 51, 102);
        writeGrey(folder("dog").resolve("a.png"), 2, 255, 255, 0, 0);
        writeGrey(folder("cat").resolve("z.png"), 2, 1, 2, 3, 4);

        ImageDataset dataset = FolderDatasetReader.read(dir);

        assertEquals("3x1x2x2", dataset.shape());
        assertEquals(List.of("cat", "dog"), dataset.labelNames());
        assertArrayEquals(new int[] {0, 1, 1}, dataset.labels());
        assertArrayEquals(new float[] {unit(1), unit(2), unit(3), unit(4)}, dataset.image(0));
        assertArrayEquals(new float[] {1, 1, -1, -1}, dataset.image(1), "a.png is read before b.png");
        assertArrayEquals(new float[] {-1, 1, unit(51), unit(102)}, dataset.image(2));
    }

    @Test
    void colourPngsBecomeThreeChannelPlanes() throws IOException {
        writeRgb(folder("red").resolve("one.png"), 2, 0xFF0000, 0x00FF00, 0x0000FF, 0x336699);

        ImageDataset dataset = FolderDatasetReader.read(dir);

        assertEquals("1x3x2x2", dataset.shape());
        assertArrayEquals(new float[] {
            1, -1, -1, unit(0x33), // red plane, row by row
            -1, 1, -1, unit(0x66), // green
            -1, -1, 1, unit(0x99)}, // blue
                dataset.image(0));
    }

    @Test
    void greyImagesAmongColourOnesAreWidenedToThreeEqualChannels() throws IOException {
        writeRgb(folder("a").resolve("colour.png"), 1, 0x102030, 0x405060);
        writeGrey(folder("b").resolve("grey.png"), 1, 0, 200);

        ImageDataset dataset = FolderDatasetReader.read(dir);

        assertEquals("2x3x2x1", dataset.shape());
        assertArrayEquals(new float[] {unit(0x10), unit(0x40), unit(0x20), unit(0x50), unit(0x30), unit(0x60)},
                dataset.image(0));
        assertArrayEquals(new float[] {-1, unit(200), -1, unit(200), -1, unit(200)}, dataset.image(1));
    }

    @Test
    void jpegFilesAreReadWithEitherExtension() throws IOException {
        writeGrey(folder("x").resolve("one.jpg"), 8, new int[64]);
        writeGrey(folder("x").resolve("two.JPEG"), 8, new int[64]);

        ImageDataset dataset = FolderDatasetReader.read(dir);

        assertEquals("2x1x8x8", dataset.shape());
        // JPEG is lossy, but a flat black picture decodes to black.
        assertEquals(-1f, dataset.pixels()[0]);
    }

    @Test
    void hiddenFilesOtherFilesAndHiddenFoldersAreIgnored() throws IOException {
        writeGrey(folder("shown").resolve("a.png"), 1, 9);
        Files.writeString(folder("shown").resolve(".DS_Store"), "junk");
        Files.writeString(folder("shown").resolve("notes.txt"), "not an image");
        writeGrey(folder("shown").resolve(".hidden.png"), 1, 7);
        writeGrey(folder(".git").resolve("a.png"), 1, 7);
        Files.writeString(dir.resolve("README"), "top-level files are not labels");

        ImageDataset dataset = FolderDatasetReader.read(dir);

        assertEquals(List.of("shown"), dataset.labelNames());
        assertArrayEquals(new float[] {unit(9)}, dataset.pixels());
    }

    @Test
    void folderWithMixedImageSizesIsRejectedNamingTheFile() throws IOException {
        Path first = writeGrey(folder("a").resolve("first.png"), 2, 0, 0, 0, 0);
        Path odd = writeGrey(folder("b").resolve("odd.png"), 3, 0, 0, 0);

        InvalidDatasetException error =
                assertThrows(InvalidDatasetException.class, () -> FolderDatasetReader.read(dir));

        assertNamesFile(error, odd, "is 3x1 pixels", "first image, " + first + ", is 2x2", "same size");
    }

    @Test
    void emptyLabelFolderIsRejectedNamingIt() throws IOException {
        writeGrey(folder("a").resolve("one.png"), 1, 0);
        Path empty = folder("b");
        Files.writeString(empty.resolve("readme.txt"), "no pictures here");

        InvalidDatasetException error =
                assertThrows(InvalidDatasetException.class, () -> FolderDatasetReader.read(dir));

        assertNamesFile(error, empty, "label folder has no images (.png, .jpg, .jpeg)");
    }

    @Test
    void directoryWithoutLabelFoldersIsRejectedNamingIt() throws IOException {
        writeGrey(dir.resolve("loose.png"), 1, 0);

        InvalidDatasetException error =
                assertThrows(InvalidDatasetException.class, () -> FolderDatasetReader.read(dir));

        assertNamesFile(error, dir, "has no label sub-folders");
    }

    @Test
    void fileThatIsNotAnImageIsRejectedNamingIt() throws IOException {
        Path broken = folder("a").resolve("broken.png");
        Files.writeString(broken, "this is text, not a PNG");

        InvalidDatasetException error =
                assertThrows(InvalidDatasetException.class, () -> FolderDatasetReader.read(dir));

        assertNamesFile(error, broken, "is not a PNG or JPEG image");
    }

    @Test
    void missingDirectoryIsRejectedNamingIt() {
        Path missing = dir.resolve("nowhere");

        InvalidDatasetException error = assertThrows(InvalidDatasetException.class,
                () -> FolderDatasetReader.read(missing));

        assertNamesFile(error, missing, "directory does not exist");
    }

    @Test
    void sixteenBitGreyPngsAreScaledByTheirDepth() throws IOException {
        BufferedImage image = new BufferedImage(2, 1, BufferedImage.TYPE_USHORT_GRAY);
        image.getRaster().setSamples(0, 0, 2, 1, 0, new int[] {0, 65535});
        write(image, folder("deep").resolve("one.png"));

        ImageDataset dataset = FolderDatasetReader.read(dir);

        assertArrayEquals(new float[] {-1, 1}, dataset.pixels());
    }
}
