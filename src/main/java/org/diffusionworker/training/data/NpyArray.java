package org.diffusionworker.training.data;

import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * One {@code .npy} array as read: its header and its little-endian data.
 *
 * @param file where it was read from, for messages
 * @param header element type and shape
 * @param data exactly the array's bytes, little-endian order set, C (row-major) order
 */
record NpyArray(Path file, NpyHeader header, ByteBuffer data) {

    NpyDtype dtype() {
        return header.dtype();
    }

    int[] shape() {
        return header.shape();
    }

    int rank() {
        return header.shape().length;
    }

    long longAt(int index) {
        return header.dtype().longAt(data, index);
    }

    double doubleAt(int index) {
        return header.dtype().doubleAt(data, index);
    }

    /** The unsigned byte at {@code index} (uint8 arrays). */
    int unsignedByteAt(int index) {
        return data.get(index) & 0xFF;
    }
}
