package org.diffusionworker.imaging;

import java.util.Objects;

/**
 * How a batch is laid out as one picture, after torchvision's {@code make_grid}.
 *
 * @param columns images per row ({@code nrow} in torchvision), at least 1
 * @param padding pixels of border around every image, at least 0
 * @param padLevel the 8-bit level of the border and of empty cells, 0 (black) to 255 (white)
 * @param normalization how float values become levels
 */
public record GridOptions(int columns, int padding, int padLevel, PixelNormalization normalization) {

    /** torchvision's defaults ({@code nrow=8, padding=2, pad_value=0}) with {@link PixelNormalization#CLAMP}. */
    public static final GridOptions DEFAULT = new GridOptions(8, 2, 0, PixelNormalization.CLAMP);

    public GridOptions {
        if (columns < 1) {
            throw new IllegalArgumentException("columns must be at least 1, was " + columns);
        }
        if (padding < 0) {
            throw new IllegalArgumentException("padding must be at least 0, was " + padding);
        }
        if (padLevel < 0 || padLevel > 255) {
            throw new IllegalArgumentException("padLevel must be between 0 and 255, was " + padLevel);
        }
        Objects.requireNonNull(normalization, "normalization");
    }

    /** These options with {@code columns} images per row. */
    public GridOptions withColumns(int columns) {
        return new GridOptions(columns, padding, padLevel, normalization);
    }

    /** These options with {@code padding} pixels of border. */
    public GridOptions withPadding(int padding) {
        return new GridOptions(columns, padding, padLevel, normalization);
    }

    /** These options with the border drawn at {@code padLevel}. */
    public GridOptions withPadLevel(int padLevel) {
        return new GridOptions(columns, padding, padLevel, normalization);
    }

    /** These options with another normalization. */
    public GridOptions withNormalization(PixelNormalization normalization) {
        return new GridOptions(columns, padding, padLevel, normalization);
    }
}
