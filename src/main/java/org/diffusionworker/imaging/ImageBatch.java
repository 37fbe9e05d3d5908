package org.diffusionworker.imaging;

import java.util.Arrays;
import java.util.Objects;

/**
 * A batch of images as a flat float array in NCHW order (image, channel, row, column).
 *
 * <p>The array is not copied: whoever builds a batch hands the array over and must not change it
 * afterwards. Sampled batches are copied out of the engine once, and copying them again on every
 * wrap would only cost memory.
 *
 * @param count number of images (N)
 * @param channels 1 (grey) or 3 (RGB)
 * @param height image height in pixels (H)
 * @param width image width in pixels (W)
 * @param pixels {@code count * channels * height * width} values, NCHW order
 */
public record ImageBatch(int count, int channels, int height, int width, float[] pixels) {

    public ImageBatch {
        if (count < 1) {
            throw new IllegalArgumentException("count must be at least 1, was " + count);
        }
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("channels must be 1 (grey) or 3 (RGB), was " + channels);
        }
        if (height < 1) {
            throw new IllegalArgumentException("height must be at least 1, was " + height);
        }
        if (width < 1) {
            throw new IllegalArgumentException("width must be at least 1, was " + width);
        }
        Objects.requireNonNull(pixels, "pixels");
        // A long product so that an overflowing shape cannot match the array length by accident.
        long expected = (long) count * channels * height * width;
        if (pixels.length != expected) {
            throw new IllegalArgumentException("pixels has " + pixels.length + " values but shape "
                    + count + "x" + channels + "x" + height + "x" + width + " needs " + expected);
        }
    }

    /** Values per image: channels * height * width. */
    public int valuesPerImage() {
        return channels * height * width;
    }

    /** The value at image n, channel c, row y, column x. */
    public float value(int n, int c, int y, int x) {
        Objects.checkIndex(n, count);
        Objects.checkIndex(c, channels);
        Objects.checkIndex(y, height);
        Objects.checkIndex(x, width);
        return pixels[((n * channels + c) * height + y) * width + x];
    }

    /** Image {@code index} alone, as a batch of one (a copy). */
    public ImageBatch image(int index) {
        Objects.checkIndex(index, count);
        return range(index, index + 1);
    }

    /** Images {@code from} (inclusive) to {@code to} (exclusive), as a new batch (a copy). */
    public ImageBatch range(int from, int to) {
        if (from < 0 || to > count || from >= to) {
            throw new IndexOutOfBoundsException(
                    "range [" + from + ", " + to + ") is empty or outside the batch of " + count);
        }
        float[] slice = Arrays.copyOfRange(pixels, from * valuesPerImage(), to * valuesPerImage());
        return new ImageBatch(to - from, channels, height, width, slice);
    }

    /** Whether {@code other} has the same count, channels, height and width. */
    public boolean hasSameShapeAs(ImageBatch other) {
        return count == other.count && channels == other.channels
                && height == other.height && width == other.width;
    }

    /** The shape as "NxCxHxW", for messages. */
    public String shape() {
        return count + "x" + channels + "x" + height + "x" + width;
    }

    // A record compares arrays by reference; two batches with equal values should be equal.
    @Override
    public boolean equals(Object other) {
        return other instanceof ImageBatch batch && hasSameShapeAs(batch)
                && Arrays.equals(pixels, batch.pixels);
    }

    @Override
    public int hashCode() {
        return 31 * Objects.hash(count, channels, height, width) + Arrays.hashCode(pixels);
    }

    @Override
    public String toString() {
        return "ImageBatch[" + shape() + "]";
    }
}
