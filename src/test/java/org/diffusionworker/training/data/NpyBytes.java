package org.diffusionworker.training.data;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Writes small {@code .npy} files byte by byte, as NumPy's format.py describes them: magic,
 * version, little-endian header length, a dict header padded with spaces and ending in a newline
 * so that the data starts on a 64-byte boundary, then the data.
 */
final class NpyBytes {

    private NpyBytes() {}

    /** A version 1.0 file with NumPy's usual header for {@code descr} and {@code shape}. */
    static byte[] npy(String descr, String shape, byte[] data) {
        return npy(1, "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }", data);
    }

    /** A file of the given major version (1, 2 or 3) with {@code dict} as its header. */
    static byte[] npy(int major, String dict, byte[] data) {
        int lengthBytes = major == 1 ? 2 : 4;
        int preamble = 6 + 2 + lengthBytes;
        byte[] dictBytes = dict.getBytes(major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        int unpadded = preamble + dictBytes.length + 1;
        int headerLength = dictBytes.length + 1 + (64 - unpadded % 64) % 64;
        ByteBuffer buffer = ByteBuffer.allocate(preamble + headerLength + data.length).order(ByteOrder.LITTLE_ENDIAN);
        buffer.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) major).put((byte) 0);
        if (major == 1) {
            buffer.putShort((short) headerLength);
        } else {
            buffer.putInt(headerLength);
        }
        buffer.put(dictBytes);
        for (int i = dictBytes.length; i < headerLength - 1; i++) {
            buffer.put((byte) ' ');
        }
        return buffer.put((byte) '\n').put(data).array();
    }

    static byte[] uint8(int... values) {
        byte[] bytes = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            bytes[i] = (byte) values[i];
        }
        return bytes;
    }

    static byte[] int32(int... values) {
        ByteBuffer buffer = little(4 * values.length);
        for (int value : values) {
            buffer.putInt(value);
        }
        return buffer.array();
    }

    static byte[] int64(long... values) {
        ByteBuffer buffer = little(8 * values.length);
        for (long value : values) {
            buffer.putLong(value);
        }
        return buffer.array();
    }

    static byte[] float32(float... values) {
        ByteBuffer buffer = little(4 * values.length);
        for (float value : values) {
            buffer.putFloat(value);
        }
        return buffer.array();
    }

    static byte[] float64(double... values) {
        ByteBuffer buffer = little(8 * values.length);
        for (double value : values) {
            buffer.putDouble(value);
        }
        return buffer.array();
    }

    private static ByteBuffer little(int bytes) {
        return ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }
}
