package org.diffusionworker.testing;

import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import javax.imageio.ImageIO;

/** Reads stored PNGs back and compares a single image with its grid cell (torchvision's geometry, 2 px border). */
public final class GridCells {

    /** The worker's grid border (GridOptions.DEFAULT). */
    public static final int PADDING = 2;

    private GridCells() {}

    public static BufferedImage png(byte[] bytes) {
        try {
            BufferedImage image = ImageIO.read(new ByteArrayInputStream(bytes));
            if (image == null) {
                throw new AssertionError("not an image ImageIO can read (" + bytes.length + " bytes)");
            }
            return image;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Null when {@code image} equals, sample for sample, cell {@code index} of {@code grid} laid out in
     * {@code columns} columns (fewer when the grid holds fewer images); else where the first difference is.
     */
    public static String differenceFromCell(BufferedImage grid, BufferedImage image, int index, int columns,
            int count) {
        int used = Math.min(columns, count);
        int w = image.getWidth();
        int h = image.getHeight();
        int x0 = PADDING + (index % used) * (w + PADDING);
        int y0 = PADDING + (index / used) * (h + PADDING);
        Raster g = grid.getRaster();
        Raster s = image.getRaster();
        if (g.getNumBands() != s.getNumBands()) {
            return "grid has " + g.getNumBands() + " band(s), image " + s.getNumBands();
        }
        for (int b = 0; b < s.getNumBands(); b++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int expected = g.getSample(x0 + x, y0 + y, b);
                    int actual = s.getSample(x, y, b);
                    if (expected != actual) {
                        return "image " + index + " at (" + x + ", " + y + ") band " + b + ": " + actual
                                + ", its grid cell " + expected;
                    }
                }
            }
        }
        return null;
    }
}
