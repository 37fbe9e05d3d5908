package org.diffusionworker.imaging;

import java.util.Locale;

/** How a sampled image's float values become 8-bit levels (0 = black, 255 = white). */
public enum PixelNormalization {

    /** Values in [-1, 1] (the model's data range) map linearly to 0..255; values outside are clamped. */
    CLAMP {
        @Override
        int[] levels(ImageBatch batch, int index) {
            float[] pixels = batch.pixels();
            int offset = index * batch.valuesPerImage();
            int[] levels = new int[batch.valuesPerImage()];
            for (int i = 0; i < levels.length; i++) {
                double clamped = Math.max(-1.0, Math.min(1.0, pixels[offset + i]));
                levels[i] = toLevel((clamped + 1.0) / 2.0);
            }
            return levels;
        }
    },

    /** Each image is stretched over its own min..max (all channels together), then scaled to 0..255. */
    MIN_MAX {
        @Override
        int[] levels(ImageBatch batch, int index) {
            int offset = index * batch.valuesPerImage();
            return stretch(batch.pixels(), offset, batch.valuesPerImage(), new int[batch.valuesPerImage()], 0);
        }
    },

    /** Each channel of each image is stretched over its own min..max: the course's {@code norm_torch}. */
    MIN_MAX_PER_CHANNEL {
        @Override
        int[] levels(ImageBatch batch, int index) {
            int plane = batch.height() * batch.width();
            int offset = index * batch.valuesPerImage();
            int[] levels = new int[batch.valuesPerImage()];
            for (int c = 0; c < batch.channels(); c++) {
                stretch(batch.pixels(), offset + c * plane, plane, levels, c * plane);
            }
            return levels;
        }
    };

    /** The normalisation the {@code sample} command's {@code --normalization} names: clamp or min-max. */
    public static PixelNormalization parse(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "clamp" -> CLAMP;
            case "min-max", "minmax" -> MIN_MAX;
            default -> throw new IllegalArgumentException("unknown --normalization '" + name + "' (use clamp or min-max)");
        };
    }

    /** The 8-bit levels of image {@code index} of the batch, in CHW order. */
    abstract int[] levels(ImageBatch batch, int index);

    /**
     * Maps {@code length} values from {@code source[from]} onto 0..255 by their min..max and writes them
     * to {@code target[to]}. A constant run has no range to stretch: it becomes 0 rather than 0/0 = NaN.
     */
    private static int[] stretch(float[] source, int from, int length, int[] target, int to) {
        float min = Float.POSITIVE_INFINITY;
        float max = Float.NEGATIVE_INFINITY;
        for (int i = from; i < from + length; i++) {
            // Comparisons are false for NaN, so a NaN value does not poison the range.
            if (source[i] < min) {
                min = source[i];
            }
            if (source[i] > max) {
                max = source[i];
            }
        }
        double range = (double) max - min;
        for (int i = 0; i < length; i++) {
            target[to + i] = range > 0 ? toLevel((source[from + i] - min) / range) : 0;
        }
        return target;
    }

    /**
     * A unit value to a level, rounding half up like torchvision's {@code save_image}
     * ({@code mul(255).add_(0.5).clamp_(0, 255)}); NaN becomes 0.
     */
    private static int toLevel(double unit) {
        long level = Math.round(unit * 255.0);
        return (int) Math.max(0, Math.min(255, level));
    }
}
