package org.diffusionworker.training.data;

import java.nio.file.Path;

/**
 * The content of one IDX file, as read: its dimensions and its unsigned bytes in row-major order.
 *
 * @param file where it was read from, for messages
 * @param dimensions the sizes from the header: [N, rows, cols] for images, [N] for labels
 * @param values the raw bytes (read them with {@code & 0xFF})
 */
record IdxArray(Path file, int[] dimensions, byte[] values) {

    /** N, the first dimension: how many images or labels. */
    int count() {
        return dimensions[0];
    }
}
