package org.diffusionworker.training.data;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import org.diffusionworker.imaging.ImageBatch;

/**
 * Labelled training images in the model's layout: a flat float array in NCHW order (image,
 * channel, row, column) with values in [-1, 1], and one label index per image.
 *
 * <p>The arrays are not copied: whoever builds a dataset hands them over and must not change them
 * afterwards (a 60000-image set is 188 MB of floats; copying it on every wrap would only cost memory).
 * Every method that returns images or labels returns copies.
 *
 * @param count number of images (N), at least 1
 * @param channels 1 (grey) or 3 (RGB)
 * @param height image height in pixels (H)
 * @param width image width in pixels (W)
 * @param pixels {@code count * channels * height * width} values in [-1, 1], NCHW order
 * @param labels {@code count} label indices, each in {@code 0 .. labelNames.size() - 1}
 * @param labelNames the name of each label index; at least one, none blank, no duplicates
 */
public record ImageDataset(int count, int channels, int height, int width, float[] pixels, int[] labels,
        List<String> labelNames) {

    // Bumped whenever the bytes fed to the digest change, so old cache keys can never match new data.
    private static final String HASH_FORMAT = "diffusion-worker/ImageDataset/v1";
    private static final int HASH_CHUNK_VALUES = 1 << 14;

    public ImageDataset {
        if (count < 1) {
            throw new IllegalArgumentException("count must be at least 1, was " + count);
        }
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("channels must be 1 (grey) or 3 (RGB), was " + channels);
        }
        if (height < 1 || width < 1) {
            throw new IllegalArgumentException("height and width must be at least 1, were " + height + "x" + width);
        }
        Objects.requireNonNull(pixels, "pixels");
        Objects.requireNonNull(labels, "labels");
        Objects.requireNonNull(labelNames, "labelNames");
        // A long product so that an overflowing shape cannot match the array length by accident.
        long expected = (long) count * channels * height * width;
        if (pixels.length != expected) {
            throw new IllegalArgumentException("pixels has " + pixels.length + " values but shape "
                    + count + "x" + channels + "x" + height + "x" + width + " needs " + expected);
        }
        if (labels.length != count) {
            throw new IllegalArgumentException("labels has " + labels.length + " entries but there are "
                    + count + " images");
        }
        LabelNames.requireValid(labelNames);
        labelNames = List.copyOf(labelNames);
        requireLabelsIn(labels, labelNames);
        requireUnitRange(pixels, channels * height * width);
    }

    private static void requireLabelsIn(int[] labels, List<String> labelNames) {
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= labelNames.size()) {
                throw new IllegalArgumentException("label of image " + i + " is " + labels[i]
                        + ", outside 0.." + (labelNames.size() - 1) + " (" + labelNames.size() + " label names)");
            }
        }
    }

    private static void requireUnitRange(float[] pixels, int valuesPerImage) {
        for (int i = 0; i < pixels.length; i++) {
            // Written so that NaN fails too: every comparison with NaN is false.
            if (!(pixels[i] >= -1f && pixels[i] <= 1f)) {
                throw new IllegalArgumentException("value " + (i % valuesPerImage) + " of image " + (i / valuesPerImage)
                        + " is " + pixels[i] + ", outside [-1, 1]");
            }
        }
    }

    /** Values per image: channels * height * width. */
    public int valuesPerImage() {
        return channels * height * width;
    }

    /** How many label classes there are (the size of a one-hot context vector). */
    public int labelCount() {
        return labelNames.size();
    }

    /** The pixels of image {@code index}, CHW order (a copy). */
    public float[] image(int index) {
        Objects.checkIndex(index, count);
        int from = index * valuesPerImage();
        return Arrays.copyOfRange(pixels, from, from + valuesPerImage());
    }

    /** The label index of image {@code index}. */
    public int label(int index) {
        Objects.checkIndex(index, count);
        return labels[index];
    }

    /** Images {@code from} (inclusive) to {@code to} (exclusive) with their labels (a copy). */
    public ImageDataset subset(int from, int to) {
        if (from < 0 || to > count || from >= to) {
            throw new IndexOutOfBoundsException(
                    "range [" + from + ", " + to + ") is empty or outside the dataset of " + count);
        }
        float[] slice = Arrays.copyOfRange(pixels, from * valuesPerImage(), to * valuesPerImage());
        return new ImageDataset(to - from, channels, height, width, slice,
                Arrays.copyOfRange(labels, from, to), labelNames);
    }

    /**
     * The first {@code n} images, or all of them when there are fewer (so a "--limit 1000" also
     * works on a smaller set). A copy either way.
     */
    public ImageDataset take(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("take needs at least 1 image, asked for " + n);
        }
        return subset(0, Math.min(n, count));
    }

    /** The images at {@code indices}, in that order, repeats allowed (a copy): a shuffled mini-batch. */
    public ImageDataset select(int... indices) {
        if (indices.length == 0) {
            throw new IllegalArgumentException("select needs at least one index");
        }
        int size = valuesPerImage();
        float[] selected = new float[indices.length * size];
        int[] selectedLabels = new int[indices.length];
        for (int i = 0; i < indices.length; i++) {
            Objects.checkIndex(indices[i], count);
            System.arraycopy(pixels, indices[i] * size, selected, i * size, size);
            selectedLabels[i] = labels[indices[i]];
        }
        return new ImageDataset(indices.length, channels, height, width, selected, selectedLabels, labelNames);
    }

    /** The same images and labels under other names, one per label index (shares the arrays). */
    public ImageDataset withLabelNames(List<String> names) {
        if (names.size() != labelCount()) {
            throw new IllegalArgumentException(names.size() + " label names given for " + labelCount() + " labels");
        }
        return new ImageDataset(count, channels, height, width, pixels, labels, names);
    }

    /** How many images carry each label: element {@code k} counts label {@code k} (zero when unused). */
    public int[] labelCounts() {
        int[] counts = new int[labelCount()];
        for (int label : labels) {
            counts[label]++;
        }
        return counts;
    }

    /**
     * The images as an {@link ImageBatch} for the imaging package (a preview grid of the data).
     * Shares the pixel array, which neither side changes.
     */
    public ImageBatch asImageBatch() {
        return new ImageBatch(count, channels, height, width, pixels);
    }

    /**
     * A SHA-256 (lower-case hex) of the data a model learns from: a format tag, then count,
     * channels, height, width and the number of labels as big-endian int32, then every pixel's
     * {@link Float#floatToIntBits} and every label as big-endian int32. Label names are left out:
     * renaming the classes does not change what a classifier trained on the data would learn, so
     * evaluation caches keyed by this hash survive a rename. Digests every value (188 MB for
     * 60000 28x28 images, one to two seconds): compute it once per dataset, not per epoch.
     */
    public String contentHash() {
        MessageDigest digest = sha256();
        digest.update(HASH_FORMAT.getBytes(StandardCharsets.US_ASCII));
        // ByteBuffer's default order is big-endian; bulk puts through its views keep this fast.
        ByteBuffer chunk = ByteBuffer.allocate(HASH_CHUNK_VALUES * Integer.BYTES);
        chunk.asIntBuffer().put(new int[] {count, channels, height, width, labelCount()});
        digest.update(chunk.array(), 0, 5 * Integer.BYTES);
        // Raw float bits equal Float.floatToIntBits here: the constructor rejects NaN.
        for (int from = 0; from < pixels.length; from += HASH_CHUNK_VALUES) {
            int length = Math.min(HASH_CHUNK_VALUES, pixels.length - from);
            chunk.asFloatBuffer().put(pixels, from, length);
            digest.update(chunk.array(), 0, length * Float.BYTES);
        }
        for (int from = 0; from < labels.length; from += HASH_CHUNK_VALUES) {
            int length = Math.min(HASH_CHUNK_VALUES, labels.length - from);
            chunk.asIntBuffer().put(labels, from, length);
            digest.update(chunk.array(), 0, length * Integer.BYTES);
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is always available in the JDK", e);
        }
    }

    /** Whether {@code other}'s images have this dataset's channels, height and width, and its number of labels. */
    public boolean sameShapeAs(ImageDataset other) {
        return channels == other.channels && height == other.height && width == other.width
                && labelCount() == other.labelCount();
    }

    /** The shape as "NxCxHxW", for messages. */
    public String shape() {
        return count + "x" + channels + "x" + height + "x" + width;
    }

    // A record compares arrays by reference; two datasets with equal values should be equal.
    @Override
    public boolean equals(Object other) {
        return other instanceof ImageDataset dataset
                && count == dataset.count && channels == dataset.channels
                && height == dataset.height && width == dataset.width
                && labelNames.equals(dataset.labelNames)
                && Arrays.equals(labels, dataset.labels)
                && Arrays.equals(pixels, dataset.pixels);
    }

    @Override
    public int hashCode() {
        return Objects.hash(count, channels, height, width, labelNames)
                + 31 * Arrays.hashCode(labels) + 961 * Arrays.hashCode(pixels);
    }

    @Override
    public String toString() {
        return "ImageDataset[" + shape() + ", labels " + labelNames + "]";
    }
}
