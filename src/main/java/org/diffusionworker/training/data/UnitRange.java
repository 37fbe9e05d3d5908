package org.diffusionworker.training.data;

/**
 * Maps 8-bit pixel levels to the model's data range [-1, 1]: {@code v / 255 * 2 - 1}, the course's
 * {@code ToTensor()} followed by {@code Normalize(0.5, 0.5)}. 0 maps to exactly -1 and 255 to exactly 1.
 */
final class UnitRange {

    // 256 precomputed values: a table lookup per pixel keeps reading 47M Fashion-MNIST values cheap.
    private static final float[] FROM_BYTE = new float[256];

    static {
        for (int level = 0; level < FROM_BYTE.length; level++) {
            FROM_BYTE[level] = fromLevel(level, 255);
        }
    }

    private UnitRange() {}

    /** The value of an unsigned byte (0..255), given as the raw {@code byte}. */
    static float fromByte(byte level) {
        return FROM_BYTE[level & 0xFF];
    }

    /** The value of an 8-bit level given as an int in 0..255. */
    static float fromByte(int level) {
        return FROM_BYTE[level];
    }

    /**
     * The value of a level out of {@code maxLevel} (e.g. 65535 for 16-bit images). Computed in
     * double and rounded once, so each level gets the float nearest to its exact value.
     */
    static float fromLevel(int level, int maxLevel) {
        return (float) ((double) level / maxLevel * 2.0 - 1.0);
    }
}
