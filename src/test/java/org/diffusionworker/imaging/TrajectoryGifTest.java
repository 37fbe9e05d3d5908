package org.diffusionworker.imaging;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

class TrajectoryGifTest {

    private static final GridOptions GRID = GridOptions.DEFAULT.withColumns(2);

    @Test
    void gifHasOneFramePerTrajectoryStepAndLoops() throws IOException {
        // Four saved steps of a 3-image grey batch, from noise-like -1 towards +1.
        List<ImageBatch> steps = List.of(constant(3, 1, -1f), constant(3, 1, -0.3f),
                constant(3, 1, 0.4f), constant(3, 1, 1f));
        GifTiming timing = new GifTiming(Duration.ofMillis(120), Duration.ofMillis(1500));

        DecodedGif gif = DecodedGif.of(TrajectoryGif.encode(steps, GRID, timing));

        assertEquals(4, gif.frames().size());
        for (BufferedImage frame : gif.frames()) {
            // 3 images in 2 columns: 2 * (4 + 2) + 2 wide, 2 * (4 + 2) + 2 high.
            assertEquals(14, frame.getWidth());
            assertEquals(14, frame.getHeight());
        }
        assertEquals(List.of(12, 12, 12, 150), gif.delaysCentiseconds());
        assertArrayEquals(new byte[] {1, 0, 0}, gif.netscapeLoopBlock(), "NETSCAPE2.0 block, loop count 0 = forever");
    }

    @Test
    void greyFramesOfPlusOneDecodeWhiteAndMinusOneBlack() throws IOException {
        List<ImageBatch> steps = List.of(constant(2, 1, -1f), constant(2, 1, 1f));
        DecodedGif gif = DecodedGif.of(TrajectoryGif.encode(steps, GRID, GifTiming.DEFAULT));

        assertEquals(0x000000, rgbAt(gif.frames().get(0), 3, 3));
        assertEquals(0xFFFFFF, rgbAt(gif.frames().get(1), 3, 3));
        assertEquals(0x000000, rgbAt(gif.frames().get(1), 0, 0), "padding stays black");
    }

    @Test
    void greyLevelsSurviveTheGifPaletteExactly() throws IOException {
        // Grey frames get a full 256-level grey palette, so mid levels are not quantised.
        ImageBatch ramp = new ImageBatch(1, 1, 1, 5, new float[] {-1f, -0.5f, 0f, 0.5f, 1f});
        DecodedGif gif = DecodedGif.of(TrajectoryGif.encode(List.of(ramp), GRID.withPadding(0), GifTiming.DEFAULT));
        BufferedImage frame = gif.frames().get(0);
        int[] expected = {0, 64, 128, 191, 255};
        for (int x = 0; x < expected.length; x++) {
            int level = expected[x];
            assertEquals(level << 16 | level << 8 | level, rgbAt(frame, x, 0), "level at x = " + x);
        }
    }

    @Test
    void rgbFramesKeepTheirColoursThroughThePalette() throws IOException {
        // Image 0 red, image 1 green, image 2 blue, image 3 a mid grey (CLAMP 0 -> 128).
        float[] pixels = new float[4 * 3 * 16];
        fillImage(pixels, 0, 1f, -1f, -1f);
        fillImage(pixels, 1, -1f, 1f, -1f);
        fillImage(pixels, 2, -1f, -1f, 1f);
        fillImage(pixels, 3, 0f, 0f, 0f);
        ImageBatch colours = new ImageBatch(4, 3, 4, 4, pixels);
        List<ImageBatch> steps = List.of(constant(4, 3, -1f), colours, constant(4, 3, 1f));

        DecodedGif gif = DecodedGif.of(TrajectoryGif.encode(steps, GRID, GifTiming.DEFAULT));

        assertEquals(3, gif.frames().size());
        assertEquals(0x000000, rgbAt(gif.frames().get(0), 3, 3));
        assertEquals(0xFFFFFF, rgbAt(gif.frames().get(2), 3, 3));
        BufferedImage frame = gif.frames().get(1);
        assertClose(0xFF0000, rgbAt(frame, 3, 3));
        assertClose(0x00FF00, rgbAt(frame, 9, 3));
        assertClose(0x0000FF, rgbAt(frame, 3, 9));
        assertClose(0x808080, rgbAt(frame, 9, 9));
        assertClose(0x000000, rgbAt(frame, 0, 0));
    }

    @Test
    void gifWrittenToPathHasEveryStep(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("trajectory.gif");
        TrajectoryGif.write(List.of(constant(1, 3, 0f), constant(1, 3, 1f)), GRID, GifTiming.DEFAULT, file);
        assertEquals(2, DecodedGif.of(Files.readAllBytes(file)).frames().size());
    }

    @Test
    void stepsOfDifferentShapesAreRejected() {
        List<ImageBatch> steps = List.of(constant(3, 1, 0f), constant(3, 1, 0f), constant(2, 1, 0f));
        var error = assertThrows(IllegalArgumentException.class,
                () -> TrajectoryGif.encode(steps, GRID, GifTiming.DEFAULT));
        assertEquals("step 2 has shape 2x1x4x4 but step 0 has 3x1x4x4", error.getMessage());
    }

    @Test
    void emptyTrajectoryIsRejected() {
        var error = assertThrows(IllegalArgumentException.class,
                () -> TrajectoryGif.encode(List.of(), GRID, GifTiming.DEFAULT));
        assertTrue(error.getMessage().contains("at least one step"), error.getMessage());
    }

    @Test
    void framesOfDifferentSizesAreRejected() {
        List<BufferedImage> frames = List.of(new BufferedImage(4, 4, BufferedImage.TYPE_BYTE_GRAY),
                new BufferedImage(4, 5, BufferedImage.TYPE_BYTE_GRAY));
        var error = assertThrows(IllegalArgumentException.class,
                () -> AnimatedGifEncoder.encode(frames, GifTiming.DEFAULT));
        assertEquals("frame 1 is 4x5 but frame 0 is 4x4", error.getMessage());
    }

    @Test
    void delaysOutsideWhatGifCanStoreAreRejected() {
        var tooShort = assertThrows(IllegalArgumentException.class, () -> GifTiming.uniform(Duration.ofMillis(5)));
        assertEquals("frameDelay must be between 10 ms and 655350 ms, was 5 ms", tooShort.getMessage());
        var tooLong = assertThrows(IllegalArgumentException.class,
                () -> new GifTiming(Duration.ofMillis(100), Duration.ofMinutes(20)));
        assertTrue(tooLong.getMessage().startsWith("lastFrameDelay"), tooLong.getMessage());
    }

    @Test
    void delaysRoundToHundredthsOfASecond() {
        GifTiming timing = new GifTiming(Duration.ofMillis(104), Duration.ofMillis(105));
        assertEquals(10, timing.frameDelayCentiseconds());
        assertEquals(11, timing.lastFrameDelayCentiseconds());
        assertEquals(10, GifTiming.DEFAULT.frameDelayCentiseconds());
    }

    private static ImageBatch constant(int count, int channels, float value) {
        return new ImageBatch(count, channels, 4, 4, ImageGridTest.filled(count * channels * 16, value));
    }

    private static void fillImage(float[] pixels, int image, float red, float green, float blue) {
        float[] channels = {red, green, blue};
        for (int c = 0; c < 3; c++) {
            int start = (image * 3 + c) * 16;
            java.util.Arrays.fill(pixels, start, start + 16, channels[c]);
        }
    }

    private static int rgbAt(BufferedImage image, int x, int y) {
        return image.getRGB(x, y) & 0xFFFFFF;
    }

    /** Each channel within 8 levels: palette reduction may move a colour slightly, never far. */
    private static void assertClose(int expected, int actual) {
        for (int shift = 0; shift <= 16; shift += 8) {
            int want = expected >> shift & 0xFF;
            int got = actual >> shift & 0xFF;
            assertTrue(Math.abs(want - got) <= 8,
                    String.format("expected #%06X, got #%06X", expected, actual));
        }
    }

    /** A GIF read back with ImageIO: its frames, their delays and the NETSCAPE2.0 loop block. */
    private record DecodedGif(List<BufferedImage> frames, List<Integer> delaysCentiseconds,
            byte[] netscapeLoopBlock) {

        private static final String IMAGE_FORMAT = "javax_imageio_gif_image_1.0";

        static DecodedGif of(byte[] gif) throws IOException {
            try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(gif))) {
                ImageReader reader = ImageIO.getImageReadersByFormatName("gif").next();
                try {
                    reader.setInput(in);
                    int count = reader.getNumImages(true);
                    List<BufferedImage> frames = new ArrayList<>();
                    List<Integer> delays = new ArrayList<>();
                    byte[] loop = null;
                    for (int i = 0; i < count; i++) {
                        frames.add(reader.read(i));
                        Element root = (Element) reader.getImageMetadata(i).getAsTree(IMAGE_FORMAT);
                        Element control = (Element) root.getElementsByTagName("GraphicControlExtension").item(0);
                        delays.add(Integer.parseInt(control.getAttribute("delayTime")));
                        NodeList extensions = root.getElementsByTagName("ApplicationExtension");
                        for (int e = 0; e < extensions.getLength(); e++) {
                            var extension = (javax.imageio.metadata.IIOMetadataNode) extensions.item(e);
                            if ("NETSCAPE".equals(extension.getAttribute("applicationID"))
                                    && "2.0".equals(extension.getAttribute("authenticationCode"))) {
                                loop = (byte[]) extension.getUserObject();
                            }
                        }
                    }
                    return new DecodedGif(frames, delays, loop);
                } finally {
                    reader.dispose();
                }
            }
        }
    }
}
