package org.diffusionworker.imaging;

/**
 * Where each image of a batch lands in a grid: torchvision's {@code make_grid} geometry.
 *
 * @param columns columns actually used: {@code min(requested columns, count)}, as torchvision does
 * @param rows {@code ceil(count / columns)}
 * @param imageHeight height of one image
 * @param imageWidth width of one image
 * @param padding border around every image
 */
public record GridLayout(int columns, int rows, int imageHeight, int imageWidth, int padding) {

    /** The layout of {@code batch} under {@code options}. */
    public static GridLayout of(ImageBatch batch, GridOptions options) {
        // torchvision narrows the grid when there are fewer images than columns (xmaps = min(nrow, nmaps)).
        int columns = Math.min(options.columns(), batch.count());
        int rows = (batch.count() + columns - 1) / columns;
        return new GridLayout(columns, rows, batch.height(), batch.width(), options.padding());
    }

    /** Grid width: columns * (w + padding) + padding. */
    public int width() {
        return columns * (imageWidth + padding) + padding;
    }

    /** Grid height: rows * (h + padding) + padding. */
    public int height() {
        return rows * (imageHeight + padding) + padding;
    }

    /** Left edge of image {@code index}: padding + column * (w + padding); images fill rows first. */
    public int imageX(int index) {
        return padding + (index % columns) * (imageWidth + padding);
    }

    /** Top edge of image {@code index}: padding + row * (h + padding). */
    public int imageY(int index) {
        return padding + (index / columns) * (imageHeight + padding);
    }
}
