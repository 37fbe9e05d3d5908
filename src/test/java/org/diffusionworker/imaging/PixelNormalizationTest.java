package org.diffusionworker.imaging;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.junit.jupiter.api.Test;

class PixelNormalizationTest {

    @Test
    void clampMapsMinusOneToBlackAndOneToWhite() {
        ImageBatch batch = grey(-1f, 1f, 0f, 0.5f, -0.5f, 1f / 255f);
        // round((v + 1) / 2 * 255): 0, 255, 127.5 -> 128, 191.25 -> 191, 63.75 -> 64, 128.0 -> 128
        assertArrayEquals(new int[] {0, 255, 128, 191, 64, 128}, PixelNormalization.CLAMP.levels(batch, 0));
    }

    @Test
    void clampSaturatesValuesOutsideMinusOneToOne() {
        ImageBatch batch = grey(-3f, 2f, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY);
        assertArrayEquals(new int[] {0, 255, 0, 255}, PixelNormalization.CLAMP.levels(batch, 0));
    }

    @Test
    void notANumberRendersBlack() {
        ImageBatch batch = grey(Float.NaN, 1f, -1f, 0f);
        assertArrayEquals(new int[] {0, 255, 0, 128}, PixelNormalization.CLAMP.levels(batch, 0));
        assertArrayEquals(new int[] {0, 255, 0, 128}, PixelNormalization.MIN_MAX.levels(batch, 0));
    }

    @Test
    void minMaxStretchesEachImageOverItsOwnRange() {
        // Image 0 spans [-0.2, 0.2], image 1 spans [3, 7]; each fills 0..255 on its own.
        ImageBatch batch = new ImageBatch(2, 1, 1, 3, new float[] {-0.2f, 0f, 0.2f, 3f, 4f, 7f});
        assertArrayEquals(new int[] {0, 128, 255}, PixelNormalization.MIN_MAX.levels(batch, 0));
        // (4 - 3) / 4 * 255 = 63.75 -> 64
        assertArrayEquals(new int[] {0, 64, 255}, PixelNormalization.MIN_MAX.levels(batch, 1));
    }

    @Test
    void minMaxOfConstantImageIsBlackNotNaN() {
        ImageBatch batch = new ImageBatch(1, 3, 1, 2, new float[] {0.7f, 0.7f, 0.7f, 0.7f, 0.7f, 0.7f});
        assertArrayEquals(new int[6], PixelNormalization.MIN_MAX.levels(batch, 0));
        assertArrayEquals(new int[6], PixelNormalization.MIN_MAX_PER_CHANNEL.levels(batch, 0));
    }

    @Test
    void minMaxSharesOneRangeAcrossChannels() {
        // R plane [0, 1], G plane [0, 0.5], B constant 0: one range [0, 1] keeps the colour balance.
        ImageBatch batch = new ImageBatch(1, 3, 1, 2, new float[] {0f, 1f, 0f, 0.5f, 0f, 0f});
        assertArrayEquals(new int[] {0, 255, 0, 128, 0, 0}, PixelNormalization.MIN_MAX.levels(batch, 0));
    }

    @Test
    void minMaxPerChannelStretchesEachChannelLikeTheCourse() {
        // The course's norm_torch takes min and max over (H, W): every channel on its own.
        ImageBatch batch = new ImageBatch(1, 3, 1, 2, new float[] {0f, 1f, 0f, 0.5f, 0f, 0f});
        assertArrayEquals(new int[] {0, 255, 0, 255, 0, 0}, PixelNormalization.MIN_MAX_PER_CHANNEL.levels(batch, 0));
    }

    private static ImageBatch grey(float... values) {
        return new ImageBatch(1, 1, 1, values.length, values);
    }
}
