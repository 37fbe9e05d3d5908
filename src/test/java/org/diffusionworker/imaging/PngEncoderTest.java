package org.diffusionworker.imaging;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Element;

class PngEncoderTest {

    @Test
    void pngRoundTripsGrayscalePixels() throws IOException {
        BufferedImage grid = ImageGrid.render(rampBatch(1), GridOptions.DEFAULT.withColumns(2));
        byte[] png = PngEncoder.encode(grid);

        BufferedImage decoded = ImageIO.read(new ByteArrayInputStream(png));
        assertEquals(grid.getWidth(), decoded.getWidth());
        assertEquals(grid.getHeight(), decoded.getHeight());
        assertEquals(1, decoded.getColorModel().getNumComponents());
        assertFalse(decoded.getColorModel().hasAlpha());
        assertArrayEquals(samples(grid), samples(decoded));
        assertEquals("Grayscale", header(png).getAttribute("colorType"));
        assertEquals("8", header(png).getAttribute("bitDepth"));
    }

    @Test
    void pngRoundTripsRgbPixels() throws IOException {
        BufferedImage grid = ImageGrid.render(rampBatch(3), GridOptions.DEFAULT.withColumns(2));
        byte[] png = PngEncoder.encode(grid);

        BufferedImage decoded = ImageIO.read(new ByteArrayInputStream(png));
        assertEquals(grid.getWidth(), decoded.getWidth());
        assertEquals(grid.getHeight(), decoded.getHeight());
        assertEquals(3, decoded.getColorModel().getNumComponents());
        assertFalse(decoded.getColorModel().hasAlpha());
        assertArrayEquals(rgb(grid), rgb(decoded));
        assertEquals("RGB", header(png).getAttribute("colorType"));
        assertEquals("8", header(png).getAttribute("bitDepth"));
    }

    @Test
    void pngWrittenToPathDecodesToTheSamePicture(@TempDir Path dir) throws IOException {
        BufferedImage grid = ImageGrid.render(rampBatch(3), GridOptions.DEFAULT);
        Path file = dir.resolve("grid.png");
        PngEncoder.write(grid, file);

        BufferedImage decoded = ImageIO.read(file.toFile());
        assertEquals(grid.getWidth(), decoded.getWidth());
        assertArrayEquals(rgb(grid), rgb(decoded));
    }

    /** Three 4x4 images whose values sweep [-1, 1], so every level band appears. */
    private static ImageBatch rampBatch(int channels) {
        int length = 3 * channels * 16;
        float[] values = new float[length];
        for (int i = 0; i < length; i++) {
            values[i] = -1f + 2f * i / (length - 1);
        }
        return new ImageBatch(3, channels, 4, 4, values);
    }

    private static int[] samples(BufferedImage image) {
        return image.getRaster().getSamples(0, 0, image.getWidth(), image.getHeight(), 0, (int[]) null);
    }

    private static int[] rgb(BufferedImage image) {
        int[] pixels = image.getRGB(0, 0, image.getWidth(), image.getHeight(), null, 0, image.getWidth());
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] &= 0xFFFFFF;
        }
        return pixels;
    }

    /** The IHDR node of the PNG's native metadata: colour type and bit depth as written. */
    private static Element header(byte[] png) throws IOException {
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(png))) {
            ImageReader reader = ImageIO.getImageReaders(in).next();
            try {
                reader.setInput(in);
                Element root = (Element) reader.getImageMetadata(0).getAsTree("javax_imageio_png_1.0");
                return (Element) root.getElementsByTagName("IHDR").item(0);
            } finally {
                reader.dispose();
            }
        }
    }
}
