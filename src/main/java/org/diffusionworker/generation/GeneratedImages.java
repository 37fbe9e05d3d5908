package org.diffusionworker.generation;

import java.util.List;

/**
 * A batch's final samples in [-1, 1] (NCHW, in plan order), and its trajectory when asked for:
 * the starting noise, then the samples every k steps, then the final samples.
 */
public record GeneratedImages(
        int count, int channels, int height, int width, float[] pixels, List<float[]> trajectory, long samplingNanos) {

    public int valuesPerImage() {
        return channels * height * width;
    }
}
