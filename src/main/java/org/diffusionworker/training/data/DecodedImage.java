package org.diffusionworker.training.data;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.IOException;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/**
 * One picture file decoded to the model's layout: CHW values in [-1, 1], one channel for grey
 * pictures and three (RGB) for colour ones. Alpha is dropped without compositing, as PIL's
 * {@code convert("RGB")} does, which is how the course's Python pipeline would read the same files.
 *
 * @param file where it was read from, for messages
 * @param width width in pixels
 * @param height height in pixels
 * @param channels 1 or 3
 * @param values {@code channels * height * width} values, CHW order
 */
record DecodedImage(Path file, int width, int height, int channels, float[] values) {

    static DecodedImage read(Path file) {
        BufferedImage image;
        try {
            image = ImageIO.read(file.toFile());
        } catch (IOException e) {
            throw InvalidDatasetException.inFile(file, "cannot be decoded as an image (" + e.getMessage() + ")", e);
        }
        if (image == null) {
            throw InvalidDatasetException.inFile(file, "is not a PNG or JPEG image that Java can read");
        }
        ColorModel colors = image.getColorModel();
        if (colors.getColorSpace().getType() == ColorSpace.TYPE_GRAY && !(colors instanceof IndexColorModel)) {
            return new DecodedImage(file, image.getWidth(), image.getHeight(), 1, greySamples(image.getRaster()));
        }
        int[] argb = image.getRGB(0, 0, image.getWidth(), image.getHeight(), null, 0, image.getWidth());
        // Grey PNGs of 1, 2 or 4 bits arrive as a palette of greys; they are grey pictures all the same.
        if (colors instanceof IndexColorModel palette && isGreyPalette(palette)) {
            float[] values = new float[argb.length];
            for (int i = 0; i < argb.length; i++) {
                values[i] = UnitRange.fromByte(argb[i] & 0xFF);
            }
            return new DecodedImage(file, image.getWidth(), image.getHeight(), 1, values);
        }
        return new DecodedImage(file, image.getWidth(), image.getHeight(), 3, rgbPlanes(argb));
    }

    /** Band 0 of a grey raster, scaled by its bit depth (8 or 16 bits: PNG allows both). */
    private static float[] greySamples(Raster raster) {
        int[] samples = raster.getSamples(0, 0, raster.getWidth(), raster.getHeight(), 0, (int[]) null);
        int bits = raster.getSampleModel().getSampleSize(0);
        float[] values = new float[samples.length];
        for (int i = 0; i < samples.length; i++) {
            values[i] = bits == 8 ? UnitRange.fromByte(samples[i]) : UnitRange.fromLevel(samples[i], (1 << bits) - 1);
        }
        return values;
    }

    private static boolean isGreyPalette(IndexColorModel palette) {
        for (int i = 0; i < palette.getMapSize(); i++) {
            if (palette.getRed(i) != palette.getGreen(i) || palette.getGreen(i) != palette.getBlue(i)) {
                return false;
            }
        }
        return true;
    }

    private static float[] rgbPlanes(int[] argb) {
        int plane = argb.length;
        float[] values = new float[3 * plane];
        for (int i = 0; i < plane; i++) {
            values[i] = UnitRange.fromByte(argb[i] >>> 16 & 0xFF);
            values[plane + i] = UnitRange.fromByte(argb[i] >>> 8 & 0xFF);
            values[2 * plane + i] = UnitRange.fromByte(argb[i] & 0xFF);
        }
        return values;
    }

    /** The pixels as three channels: grey values repeated in R, G and B, colour values as they are. */
    float[] asRgb() {
        if (channels == 3) {
            return values;
        }
        float[] rgb = new float[3 * values.length];
        for (int channel = 0; channel < 3; channel++) {
            System.arraycopy(values, 0, rgb, channel * values.length, values.length);
        }
        return rgb;
    }

    boolean hasSameSizeAs(DecodedImage other) {
        return width == other.width && height == other.height;
    }

    /** "28x28", width x height, for messages. */
    String size() {
        return width + "x" + height;
    }
}
