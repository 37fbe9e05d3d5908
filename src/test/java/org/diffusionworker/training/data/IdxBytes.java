package org.diffusionworker.training.data;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

/** Writes small IDX files byte by byte, as the MNIST page describes them, for the reader tests. */
final class IdxBytes {

    static final int IMAGES_MAGIC = 2051;
    static final int LABELS_MAGIC = 2049;

    private IdxBytes() {}

    /** A file of the given magic, big-endian dimension sizes, then the data as given. */
    static byte[] idx(int magic, int[] dimensions, byte[] data) {
        ByteBuffer buffer = ByteBuffer.allocate(4 + 4 * dimensions.length + data.length);
        buffer.putInt(magic);
        for (int size : dimensions) {
            buffer.putInt(size);
        }
        return buffer.put(data).array();
    }

    /** An images file of {@code rows x cols} images, one int[] of levels (row-major) per image. */
    static byte[] images(int rows, int cols, int[]... images) {
        byte[] data = new byte[images.length * rows * cols];
        for (int n = 0; n < images.length; n++) {
            for (int i = 0; i < rows * cols; i++) {
                data[n * rows * cols + i] = (byte) images[n][i];
            }
        }
        return idx(IMAGES_MAGIC, new int[] {images.length, rows, cols}, data);
    }

    static byte[] labels(int... labels) {
        byte[] data = new byte[labels.length];
        for (int i = 0; i < labels.length; i++) {
            data[i] = (byte) labels[i];
        }
        return idx(LABELS_MAGIC, new int[] {labels.length}, data);
    }

    static byte[] gzip(byte[] plain) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gzip = new GZIPOutputStream(out)) {
            gzip.write(plain);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    static Path write(Path file, byte[] bytes) {
        try {
            return Files.write(file, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
