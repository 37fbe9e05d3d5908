package org.diffusionworker.imaging;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Objects;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/** Encodes a picture as PNG: 8-bit grey for a grey image, 8-bit RGB for an RGB one. */
public final class PngEncoder {

    private PngEncoder() {
    }

    /** The PNG bytes of {@code image}. */
    public static byte[] encode(BufferedImage image) {
        Objects.requireNonNull(image, "image");
        ImageWriter writer = pngWriter();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        // A memory cache, not ImageIO.createImageOutputStream, which may spill to temporary files.
        try (ImageOutputStream out = new MemoryCacheImageOutputStream(bytes)) {
            writer.setOutput(out);
            writer.write(image);
        } catch (IOException e) {
            // Only an in-memory stream is involved, so this is a bug, not a condition to handle.
            throw new UncheckedIOException("PNG encoding failed in memory", e);
        } finally {
            writer.dispose();
        }
        return bytes.toByteArray();
    }

    /** Writes {@code image} as a PNG file at {@code file}, replacing what is there. */
    public static void write(BufferedImage image, Path file) throws IOException {
        Files.write(file, encode(image));
    }

    private static ImageWriter pngWriter() {
        Iterator<ImageWriter> writers = ImageIO.getImageWritersByFormatName("png");
        if (!writers.hasNext()) {
            throw new IllegalStateException("this JDK has no ImageIO PNG writer");
        }
        return writers.next();
    }
}
