package org.diffusionworker.generation;

import java.util.BitSet;
import java.util.List;

/**
 * A batch's final samples in [-1, 1] (NCHW, in plan order), and its trajectory when asked for:
 * the starting noise, then the samples every k steps, then the final samples.
 *
 * @param left the plan's images that left the batch before it finished ({@link SamplingProgress#leaving()}): their
 *             pixels and frames are zeros
 */
public record GeneratedImages(int count, int channels, int height, int width, float[] pixels, List<float[]> trajectory,
        long samplingNanos, BitSet left) {

    public GeneratedImages {
        left = left == null ? new BitSet() : (BitSet) left.clone();
    }

    public int valuesPerImage() {
        return channels * height * width;
    }

    @Override
    public BitSet left() {
        return (BitSet) left.clone();
    }
}
