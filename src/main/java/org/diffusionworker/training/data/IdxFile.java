package org.diffusionworker.training.data;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.zip.ZipException;

/**
 * Reads one MNIST IDX file (http://yann.lecun.com/exdb/mnist/, "FILE FORMATS"): a big-endian
 * magic number, one big-endian int32 per dimension, then the unsigned bytes. Gzipped files are
 * recognised by their content.
 */
final class IdxFile {

    // The JVM cannot allocate arrays of exactly Integer.MAX_VALUE elements.
    private static final long MAX_ARRAY_LENGTH = Integer.MAX_VALUE - 8;

    private IdxFile() {}

    static IdxArray read(Path file, IdxContent content) throws IOException {
        DatasetFiles.requireRegularFile(file, content.role());
        try (DataInputStream in = new DataInputStream(DatasetFiles.openMaybeGzipped(file))) {
            requireMagic(file, readHeaderInt(in, file), content);
            int[] dimensions = new int[content.dimensions()];
            long total = 1;
            for (int d = 0; d < dimensions.length; d++) {
                dimensions[d] = readHeaderInt(in, file);
                if (dimensions[d] < 1) {
                    throw InvalidDatasetException.inFile(file, "IDX header gives dimension " + d + " as "
                            + Integer.toUnsignedString(dimensions[d]) + "; every dimension must be at least 1");
                }
                // Capped so that three int32 sizes cannot overflow the long.
                total = Math.min(total * dimensions[d], MAX_ARRAY_LENGTH + 1);
            }
            if (total > MAX_ARRAY_LENGTH) {
                throw InvalidDatasetException.inFile(file, "IDX header announces " + describe(dimensions, content)
                        + ", more bytes than one Java array can hold");
            }
            byte[] values = new byte[(int) total];
            int read = in.readNBytes(values, 0, values.length);
            if (read < values.length) {
                throw InvalidDatasetException.inFile(file, "is truncated: its header announces "
                        + describe(dimensions, content) + " (" + total + " bytes) but only " + read + " bytes follow");
            }
            if (in.read() != -1) {
                throw InvalidDatasetException.inFile(file, "has more bytes than its header announces ("
                        + describe(dimensions, content) + ", " + total + " bytes); is it the right file?");
            }
            return new IdxArray(file, dimensions, values);
        } catch (EOFException e) {
            // GZIPInputStream reports a cut-off stream as EOF ("Unexpected end of ZLIB input stream").
            throw InvalidDatasetException.inFile(file, "is truncated: its gzip stream ends before the data"
                    + " its IDX header announces", e);
        } catch (ZipException e) {
            throw InvalidDatasetException.inFile(file, "starts like gzip but is not valid gzip data ("
                    + e.getMessage() + ")", e);
        }
    }

    private static int readHeaderInt(DataInputStream in, Path file) throws IOException {
        try {
            return in.readInt();
        } catch (EOFException e) {
            throw InvalidDatasetException.inFile(file, "is truncated: it ends inside the IDX header", e);
        }
    }

    private static void requireMagic(Path file, int magic, IdxContent content) {
        if (magic == content.magic()) {
            return;
        }
        int elementType = magic >>> 8 & 0xFF;
        int dimensions = magic & 0xFF;
        if (magic >>> 16 != 0) {
            throw InvalidDatasetException.inFile(file, String.format("bad magic number 0x%08X, not an IDX file;"
                    + " expected %s", magic, content.expectation()));
        }
        if (!IdxContent.isUnsignedByte(elementType)) {
            throw InvalidDatasetException.inFile(file, String.format("unsupported IDX element type 0x%02X (%s);"
                    + " only unsigned bytes (0x08) are supported, expected magic %s",
                    elementType, IdxContent.elementTypeName(elementType), content.expectation()));
        }
        String swapped = "";
        for (IdxContent other : IdxContent.values()) {
            if (other != content && other.magic() == magic) {
                swapped = "; this is an IDX " + other.role() + " file: are the images and labels files swapped?";
            }
        }
        throw InvalidDatasetException.inFile(file, "bad magic number " + magic + " (unsigned bytes with "
                + dimensions + " dimensions); expected " + content.expectation() + swapped);
    }

    private static String describe(int[] dimensions, IdxContent content) {
        return content == IdxContent.IMAGES
                ? dimensions[0] + " images of " + dimensions[1] + "x" + dimensions[2]
                : dimensions[0] + " labels";
    }
}
