package org.diffusionworker.imaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import org.junit.jupiter.api.Test;

class ImageGridTest {

    private static final GridOptions TWO_COLUMNS = GridOptions.DEFAULT.withColumns(2);

    @Test
    void gridPlacesImagesLikeTorchvisionMakeGrid() {
        // Two 2x2 grey images; CLAMP levels: -1 -> 0, -0.5 -> 64, 0 -> 128, 1 -> 255.
        ImageBatch batch = new ImageBatch(2, 1, 2, 2, new float[] {
                -1f, 0f,
                1f, -0.5f,
                1f, 1f,
                0f, -1f});
        BufferedImage grid = ImageGrid.render(batch, TWO_COLUMNS);

        // make_grid(nrow=2, padding=2): width 2 * (2 + 2) + 2 = 10, height 1 * (2 + 2) + 2 = 6.
        assertEquals(10, grid.getWidth());
        assertEquals(6, grid.getHeight());
        Raster raster = grid.getRaster();
        // Image 0 at x = 2, y = 2.
        assertEquals(0, raster.getSample(2, 2, 0));
        assertEquals(128, raster.getSample(3, 2, 0));
        assertEquals(255, raster.getSample(2, 3, 0));
        assertEquals(64, raster.getSample(3, 3, 0));
        // Image 1 at x = 2 + 1 * (2 + 2) = 6, y = 2.
        assertEquals(255, raster.getSample(6, 2, 0));
        assertEquals(255, raster.getSample(7, 2, 0));
        assertEquals(128, raster.getSample(6, 3, 0));
        assertEquals(0, raster.getSample(7, 3, 0));
        // Everything else is padding at pad value 0: 40 image pixels drawn minus 8 = 52 padding pixels.
        int padding = 0;
        for (int y = 0; y < 6; y++) {
            for (int x = 0; x < 10; x++) {
                boolean inImage = y >= 2 && y < 4 && ((x >= 2 && x < 4) || (x >= 6 && x < 8));
                if (!inImage) {
                    assertEquals(0, raster.getSample(x, y, 0), "padding at " + x + "," + y);
                    padding++;
                }
            }
        }
        assertEquals(52, padding);
    }

    @Test
    void fiveImagesInTwoColumnsMakeThreeRows() {
        ImageBatch batch = new ImageBatch(5, 1, 3, 3, filled(5 * 9, 1f));
        GridLayout layout = GridLayout.of(batch, TWO_COLUMNS.withPadding(1));
        assertEquals(2, layout.columns());
        assertEquals(3, layout.rows());

        BufferedImage grid = ImageGrid.render(batch, TWO_COLUMNS.withPadding(1));
        assertEquals(2 * (3 + 1) + 1, grid.getWidth());
        assertEquals(3 * (3 + 1) + 1, grid.getHeight());
        // Image 4 starts the third row; the cell to its right is empty and stays at the pad value.
        assertEquals(1, layout.imageX(4));
        assertEquals(1 + 2 * (3 + 1), layout.imageY(4));
        assertEquals(255, grid.getRaster().getSample(1, 9, 0));
        assertEquals(0, grid.getRaster().getSample(5, 9, 0));
        assertEquals(0, grid.getRaster().getSample(7, 11, 0));
    }

    @Test
    void fewerImagesThanColumnsNarrowsGridLikeTorchvision() {
        // torchvision: xmaps = min(nrow, nmaps), so three images with nrow = 8 give a 3-wide grid.
        ImageBatch batch = new ImageBatch(3, 1, 4, 4, filled(48, 0f));
        BufferedImage grid = ImageGrid.render(batch, GridOptions.DEFAULT);
        assertEquals(3 * (4 + 2) + 2, grid.getWidth());
        assertEquals(4 + 2 + 2, grid.getHeight());
    }

    @Test
    void padLevelFillsBorderAndEmptyCells() {
        ImageBatch batch = new ImageBatch(3, 3, 2, 2, filled(3 * 3 * 4, -1f));
        BufferedImage grid = ImageGrid.render(batch, TWO_COLUMNS.withPadLevel(255));
        assertEquals(0xFFFFFF, grid.getRGB(0, 0) & 0xFFFFFF, "border is white");
        assertEquals(0xFFFFFF, grid.getRGB(7, 7) & 0xFFFFFF, "empty cell (row 1, column 1) is white");
        assertEquals(0x000000, grid.getRGB(2, 2) & 0xFFFFFF, "image 0 is black");
        assertEquals(0x000000, grid.getRGB(3, 7) & 0xFFFFFF, "image 2 is black");
    }

    @Test
    void zeroPaddingPacksImagesEdgeToEdge() {
        ImageBatch batch = new ImageBatch(2, 1, 1, 1, new float[] {-1f, 1f});
        BufferedImage grid = ImageGrid.render(batch, TWO_COLUMNS.withPadding(0));
        assertEquals(2, grid.getWidth());
        assertEquals(1, grid.getHeight());
        assertEquals(0, grid.getRaster().getSample(0, 0, 0));
        assertEquals(255, grid.getRaster().getSample(1, 0, 0));
    }

    @Test
    void greyBatchRendersAsByteGrayAndRgbBatchAsIntRgb() {
        assertEquals(BufferedImage.TYPE_BYTE_GRAY,
                ImageGrid.render(new ImageBatch(1, 1, 2, 2, new float[4]), GridOptions.DEFAULT).getType());
        assertEquals(BufferedImage.TYPE_INT_RGB,
                ImageGrid.render(new ImageBatch(1, 3, 2, 2, new float[12]), GridOptions.DEFAULT).getType());
    }

    @Test
    void rgbChannelsBecomeRedGreenAndBlue() {
        // One 1x2 image: pixel 0 = (1, -1, 0), pixel 1 = (-1, 1, 1), planes in CHW order.
        ImageBatch batch = new ImageBatch(1, 3, 1, 2, new float[] {1f, -1f, -1f, 1f, 0f, 1f});
        BufferedImage grid = ImageGrid.render(batch, GridOptions.DEFAULT.withPadding(0));
        assertEquals(0xFF0080, grid.getRGB(0, 0) & 0xFFFFFF);
        assertEquals(0x00FFFF, grid.getRGB(1, 0) & 0xFFFFFF);
    }

    @Test
    void minMaxNormalizationAppliesPerImageInTheGrid() {
        ImageBatch batch = new ImageBatch(2, 1, 1, 2, new float[] {0f, 0.1f, 5f, 9f});
        BufferedImage grid = ImageGrid.render(batch,
                TWO_COLUMNS.withPadding(0).withNormalization(PixelNormalization.MIN_MAX));
        int[] row = grid.getRaster().getSamples(0, 0, 4, 1, 0, new int[4]);
        assertEquals(0, row[0]);
        assertEquals(255, row[1]);
        assertEquals(0, row[2]);
        assertEquals(255, row[3]);
    }

    @Test
    void invalidGridOptionsAreRejectedWithMessage() {
        var columns = assertThrows(IllegalArgumentException.class,
                () -> new GridOptions(0, 2, 0, PixelNormalization.CLAMP));
        assertEquals("columns must be at least 1, was 0", columns.getMessage());
        var padding = assertThrows(IllegalArgumentException.class,
                () -> new GridOptions(8, -1, 0, PixelNormalization.CLAMP));
        assertEquals("padding must be at least 0, was -1", padding.getMessage());
        var padLevel = assertThrows(IllegalArgumentException.class,
                () -> new GridOptions(8, 2, 256, PixelNormalization.CLAMP));
        assertTrue(padLevel.getMessage().contains("256"), padLevel.getMessage());
        assertThrows(NullPointerException.class, () -> new GridOptions(8, 2, 0, null));
    }

    static float[] filled(int length, float value) {
        float[] values = new float[length];
        java.util.Arrays.fill(values, value);
        return values;
    }
}
