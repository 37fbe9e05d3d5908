package org.diffusionworker.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Standard normal noise drawn per image from its own seeded stream, so an image depends only on
 * its (seed, index) and the sampler, never on what else shares its batch (the seed used one
 * global generator; seed defect 4).
 *
 * <p>Each image's stream yields, in order, its starting noise x_T and then the noise of every
 * step that needs some. Not thread-safe; made per batch.
 */
public final class ImageNoise {

    private SplittableRandom[] streams;
    private final int channels;
    private final int height;
    private final int width;

    /** One stream per {@code (seed, index)} pair, in batch order. */
    public ImageNoise(List<ImageSeed> images, int channels, int height, int width) {
        this.streams = new SplittableRandom[images.size()];
        for (int i = 0; i < streams.length; i++) {
            streams[i] = new SplittableRandom(images.get(i).streamSeed());
        }
        this.channels = channels;
        this.height = height;
        this.width = width;
    }

    /** Drops the streams of the images that left the batch ({@code keep[i]} false); the others go on unchanged. */
    public void keepOnly(boolean[] keep) {
        if (keep.length != streams.length) {
            throw new IllegalArgumentException("keep has " + keep.length + " flags for " + streams.length + " images");
        }
        int n = 0;
        for (boolean k : keep) {
            n += k ? 1 : 0;
        }
        SplittableRandom[] kept = new SplittableRandom[n];
        for (int i = 0, j = 0; i < keep.length; i++) {
            if (keep[i]) {
                kept[j++] = streams[i];
            }
        }
        streams = kept;
    }

    /** The next draw for every image, as {@code [B, C, H, W]} on {@code manager}'s device. */
    public NDArray next(NDManager manager) {
        int perImage = channels * height * width;
        float[] values = new float[streams.length * perImage];
        for (int i = 0; i < streams.length; i++) {
            SplittableRandom stream = streams[i];
            int offset = i * perImage;
            for (int j = 0; j < perImage; j++) {
                values[offset + j] = (float) stream.nextGaussian();
            }
        }
        return manager.create(values, new Shape(streams.length, channels, height, width));
    }

    /** Identifies one image: its request's seed and its index within the request. */
    public record ImageSeed(long seed, int index) {
        public ImageSeed {
            if (index < 0) {
                throw new IllegalArgumentException("image index must be >= 0, got " + index);
            }
        }

        /** A well-mixed 64-bit seed for this image's stream (SplitMix64's finaliser). */
        long streamSeed() {
            long z = seed + 0x9E3779B97F4A7C15L * (index + 1L);
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            return z ^ (z >>> 31);
        }
    }
}
