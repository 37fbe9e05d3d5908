package org.diffusionworker.training.data;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads a {@code .npy} file (NumPy's format.py): the magic {@code \x93NUMPY}, a major and minor
 * version byte, the header length (uint16 little-endian in version 1, uint32 in 2 and 3), the
 * header dict, then the data.
 */
final class NpyFile {

    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    // The JVM cannot allocate arrays of exactly Integer.MAX_VALUE elements.
    private static final long MAX_FILE_BYTES = Integer.MAX_VALUE - 8;

    private NpyFile() {}

    static NpyArray read(Path file, String role) throws IOException {
        DatasetFiles.requireRegularFile(file, role);
        if (Files.size(file) > MAX_FILE_BYTES) {
            throw InvalidDatasetException.inFile(file, "is " + Files.size(file) + " bytes, more than one Java"
                    + " array can hold");
        }
        ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        requireMagic(file, bytes);
        int major = bytes.get(MAGIC.length) & 0xFF;
        int minor = bytes.get(MAGIC.length + 1) & 0xFF;
        if (major < 1 || major > 3) {
            throw InvalidDatasetException.inFile(file, "unsupported NPY format version " + major + "." + minor
                    + "; supported: 1.0, 2.0, 3.0");
        }
        int lengthBytes = major == 1 ? 2 : 4;
        int headerStart = MAGIC.length + 2 + lengthBytes;
        if (bytes.limit() < headerStart) {
            throw InvalidDatasetException.inFile(file, "is truncated: it ends inside the NPY preamble");
        }
        long headerLength = major == 1
                ? bytes.getShort(MAGIC.length + 2) & 0xFFFF
                : bytes.getInt(MAGIC.length + 2) & 0xFFFFFFFFL;
        if (headerStart + headerLength > bytes.limit()) {
            throw InvalidDatasetException.inFile(file, "is truncated: its NPY header is " + headerLength
                    + " bytes but only " + (bytes.limit() - headerStart) + " follow the preamble");
        }
        // Version 3.0 only changed the header's encoding from latin-1 to UTF-8.
        Charset encoding = major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1;
        int dataStart = headerStart + (int) headerLength;
        String headerText = new String(bytes.array(), headerStart, (int) headerLength, encoding);
        NpyHeader header = NpyHeader.parse(file, headerText);

        long expected = (long) header.elementCount() * header.dtype().bytes();
        long actual = bytes.limit() - dataStart;
        if (actual < expected) {
            throw InvalidDatasetException.inFile(file, "is truncated: shape " + header.shapeText() + " of "
                    + header.dtype().descr() + " needs " + expected + " data bytes but only " + actual
                    + " follow the header");
        }
        if (actual > expected) {
            throw InvalidDatasetException.inFile(file, "has " + (actual - expected) + " bytes more than shape "
                    + header.shapeText() + " of " + header.dtype().descr() + " needs; is it the right file?");
        }
        ByteBuffer data = bytes.position(dataStart).slice().order(ByteOrder.LITTLE_ENDIAN);
        return new NpyArray(file, header, data);
    }

    private static void requireMagic(Path file, ByteBuffer bytes) {
        boolean matches = bytes.limit() >= MAGIC.length + 2;
        for (int i = 0; matches && i < MAGIC.length; i++) {
            matches = bytes.get(i) == MAGIC[i];
        }
        if (matches) {
            return;
        }
        String hint = "";
        if (bytes.limit() >= 2 && bytes.get(0) == 0x1f && bytes.get(1) == (byte) 0x8b) {
            hint = "; it is gzip-compressed: decompress it first";
        } else if (bytes.limit() >= 4 && bytes.get(0) == 'P' && bytes.get(1) == 'K'
                && bytes.get(2) == 3 && bytes.get(3) == 4) {
            hint = "; it is a zip archive (.npz?): extract the .npy arrays first";
        }
        throw InvalidDatasetException.inFile(file, bytes.limit() < MAGIC.length + 2
                ? "is truncated or not an NPY file: it is " + bytes.limit() + " bytes long" + hint
                : "bad magic number: not an NPY file (expected it to start with \\x93NUMPY)" + hint);
    }
}
