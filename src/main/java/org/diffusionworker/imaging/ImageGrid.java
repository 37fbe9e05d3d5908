package org.diffusionworker.imaging;

import java.awt.image.BufferedImage;
import java.awt.image.WritableRaster;
import java.util.Arrays;

/** Lays a batch out as one picture, like torchvision's {@code make_grid}. */
public final class ImageGrid {

    private ImageGrid() {
    }

    /**
     * Renders {@code batch} as a grid: {@link BufferedImage#TYPE_BYTE_GRAY} for one channel,
     * {@link BufferedImage#TYPE_INT_RGB} for three.
     *
     * <p>Unlike torchvision, a batch of one image keeps its border (torchvision returns it bare), so
     * every picture of a run has the same frame whatever the batch size.
     */
    public static BufferedImage render(ImageBatch batch, GridOptions options) {
        GridLayout layout = GridLayout.of(batch, options);
        int type = batch.channels() == 1 ? BufferedImage.TYPE_BYTE_GRAY : BufferedImage.TYPE_INT_RGB;
        BufferedImage grid = new BufferedImage(layout.width(), layout.height(), type);
        // Samples go straight into the raster: getRGB/setRGB on a grey image would pass through a
        // linear-grey colour space and shift the levels.
        WritableRaster raster = grid.getRaster();
        fill(raster, options.padLevel());
        int plane = batch.height() * batch.width();
        for (int n = 0; n < batch.count(); n++) {
            int[] levels = options.normalization().levels(batch, n);
            for (int c = 0; c < batch.channels(); c++) {
                int[] channel = Arrays.copyOfRange(levels, c * plane, (c + 1) * plane);
                raster.setSamples(layout.imageX(n), layout.imageY(n), batch.width(), batch.height(), c, channel);
            }
        }
        return grid;
    }

    private static void fill(WritableRaster raster, int level) {
        if (level == 0) {
            return; // a new raster is already zero
        }
        int[] row = new int[raster.getWidth()];
        Arrays.fill(row, level);
        for (int band = 0; band < raster.getNumBands(); band++) {
            for (int y = 0; y < raster.getHeight(); y++) {
                raster.setSamples(0, y, raster.getWidth(), 1, band, row);
            }
        }
    }
}
