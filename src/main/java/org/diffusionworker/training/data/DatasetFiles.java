package org.diffusionworker.training.data;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/** File checks and stream opening shared by the readers, so every reader words its errors alike. */
final class DatasetFiles {

    // Large buffers: the readers pull tens of megabytes through these streams.
    private static final int BUFFER_BYTES = 1 << 16;

    private DatasetFiles() {}

    /** Fails, naming {@code file} and its role ("images", "labels"), unless it is a readable regular file. */
    static void requireRegularFile(Path file, String role) {
        if (Files.isDirectory(file)) {
            throw InvalidDatasetException.inFile(file, "is a directory, expected the " + role + " file");
        }
        if (!Files.isRegularFile(file)) {
            throw InvalidDatasetException.inFile(file, role + " file does not exist");
        }
    }

    /** Fails, naming {@code directory}, unless it is a directory. */
    static void requireDirectory(Path directory, String role) {
        if (!Files.exists(directory)) {
            throw InvalidDatasetException.inFile(directory, role + " directory does not exist");
        }
        if (!Files.isDirectory(directory)) {
            throw InvalidDatasetException.inFile(directory, "is a file, expected the " + role + " directory");
        }
    }

    /**
     * Opens {@code file} for reading, decompressing it when it starts with the gzip magic bytes
     * (0x1f 0x8b). Sniffing rather than trusting the ".gz" suffix, because renamed and
     * re-downloaded MNIST files often lose or gain the suffix.
     */
    static InputStream openMaybeGzipped(Path file) throws IOException {
        InputStream raw = new BufferedInputStream(Files.newInputStream(file), BUFFER_BYTES);
        try {
            if (startsWithGzipMagic(raw)) {
                return new BufferedInputStream(new GZIPInputStream(raw, BUFFER_BYTES), BUFFER_BYTES);
            }
            return raw;
        } catch (IOException | RuntimeException e) {
            raw.close();
            throw e;
        }
    }

    private static boolean startsWithGzipMagic(InputStream in) throws IOException {
        in.mark(2);
        int first = in.read();
        int second = in.read();
        in.reset();
        return first == 0x1f && second == 0x8b;
    }

    /** Whether a file or folder is hidden by the Unix convention (a leading dot), like .DS_Store. */
    static boolean isHidden(Path path) {
        Path name = path.getFileName();
        return name != null && name.toString().startsWith(".");
    }
}
