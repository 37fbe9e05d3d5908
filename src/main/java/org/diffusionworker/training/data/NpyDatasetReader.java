package org.diffusionworker.training.data;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Reads the course's sprite format: images as a uint8 {@code .npy} array [N, H, W, C] (C = 1 or 3;
 * [N, H, W] is one channel) and labels as a second {@code .npy}, either integer indices [N]
 * (uint8, int32 or int64) or exact one-hot rows [N, classes]. Images are moved from NumPy's
 * channels-last layout to the model's NCHW and scaled to [-1, 1].
 */
public final class NpyDatasetReader {

    private NpyDatasetReader() {}

    /** Reads images and labels; the label names are "0".."k-1". */
    public static ImageDataset read(Path imagesFile, Path labelsFile) throws IOException {
        return read(imagesFile, labelsFile, Optional.empty());
    }

    /**
     * Reads images and labels with the caller's names: one per one-hot column, or at least one more
     * than the largest index.
     */
    public static ImageDataset read(Path imagesFile, Path labelsFile, List<String> labelNames) throws IOException {
        return read(imagesFile, labelsFile, Optional.of(labelNames));
    }

    /** Images and labels, with the caller's label names where given. */
    static ImageDataset read(Path imagesFile, Path labelsFile, Optional<List<String>> labelNames)
            throws IOException {
        labelNames.ifPresent(LabelIndices::requireValidNames);
        NpyLabels labels = NpyLabels.from(NpyFile.read(labelsFile, "labels"), labelNames);
        NpyArray images = NpyFile.read(imagesFile, "images");
        if (images.dtype() != NpyDtype.UINT8) {
            throw InvalidDatasetException.inFile(imagesFile, "images are " + images.dtype().descr()
                    + "; expected uint8 (|u1) levels 0..255");
        }
        int[] shape = images.shape();
        if (shape.length != 3 && shape.length != 4) {
            throw InvalidDatasetException.inFile(imagesFile, "images have shape " + images.header().shapeText()
                    + "; expected [N, H, W, C] or [N, H, W]");
        }
        int channels = shape.length == 4 ? shape[3] : 1;
        if (channels != 1 && channels != 3) {
            throw InvalidDatasetException.inFile(imagesFile, "images have shape " + images.header().shapeText()
                    + ": " + channels + " channels in the last axis; expected 1 or 3 (channels-last [N, H, W, C])");
        }
        if (shape[0] != labels.indices().length) {
            throw new InvalidDatasetException("images file " + imagesFile + " holds " + shape[0]
                    + " images but labels file " + labelsFile + " holds " + labels.indices().length + " labels");
        }
        float[] pixels = channelsFirst(images.data(), shape[0], shape[1], shape[2], channels);
        return new ImageDataset(shape[0], channels, shape[1], shape[2], pixels, labels.indices(), labels.names());
    }

    /** NHWC bytes to NCHW values in [-1, 1]. */
    private static float[] channelsFirst(ByteBuffer data, int count, int height, int width, int channels) {
        // NpyFile wraps a heap array, so the bytes are reachable without per-value buffer calls.
        byte[] levels = data.array();
        int offset = data.arrayOffset();
        float[] pixels = new float[count * channels * height * width];
        int plane = height * width;
        for (int image = 0; image < count; image++) {
            int imageStart = image * channels * plane;
            for (int position = 0; position < plane; position++) {
                int source = offset + imageStart + position * channels;
                for (int channel = 0; channel < channels; channel++) {
                    pixels[imageStart + channel * plane + position] = UnitRange.fromByte(levels[source + channel]);
                }
            }
        }
        return pixels;
    }
}
