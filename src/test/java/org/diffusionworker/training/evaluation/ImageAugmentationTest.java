package org.diffusionworker.training.evaluation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ImageAugmentationTest {

    private static final int H = 5;
    private static final int W = 6;

    /** Pixel (c, y, x) holds 100c + 10y + x: every value says where it came from. */
    private static float[] labelledImage(int channels) {
        float[] image = new float[channels * H * W];
        for (int c = 0; c < channels; c++) {
            for (int y = 0; y < H; y++) {
                for (int x = 0; x < W; x++) {
                    image[c * H * W + y * W + x] = 100 * c + 10 * y + x;
                }
            }
        }
        return image;
    }

    @Test
    void everyOutputPixelIsTheSameShiftedAndPossiblyMirroredSourcePixelOrBackground() {
        ImageAugmentation augmentation = new ImageAugmentation(2, true, -1f);
        float[] image = labelledImage(2);
        Set<String> seen = new HashSet<>();
        SplittableRandom random = new SplittableRandom(11);
        for (int trial = 0; trial < 400; trial++) {
            float[] out = new float[image.length + 3];
            augmentation.apply(image, 0, out, 3, 2, H, W, random);
            // Recover the transform from the output itself and check every pixel against it.
            Integer dx = null;
            Integer dy = null;
            Boolean flip = null;
            search:
            for (int candidateDy = -2; candidateDy <= 2; candidateDy++) {
                for (int candidateDx = -2; candidateDx <= 2; candidateDx++) {
                    for (boolean candidateFlip : new boolean[] {false, true}) {
                        if (matches(image, out, candidateDx, candidateDy, candidateFlip)) {
                            dx = candidateDx;
                            dy = candidateDy;
                            flip = candidateFlip;
                            break search;
                        }
                    }
                }
            }
            assertTrue(dx != null, "trial " + trial + ": the output is no shift or mirror of the input");
            seen.add(dx + "," + dy + "," + flip);
        }
        // 5 x 5 shifts x 2 mirrors, all of them drawn in 400 trials.
        assertEquals(50, seen.size(), "transforms drawn: " + seen);
    }

    private static boolean matches(float[] image, float[] out, int dx, int dy, boolean flip) {
        for (int c = 0; c < 2; c++) {
            for (int y = 0; y < H; y++) {
                for (int x = 0; x < W; x++) {
                    int sy = y - dy;
                    int shiftedX = x - dx;
                    int sx = flip ? W - 1 - shiftedX : shiftedX;
                    boolean inside = sy >= 0 && sy < H && shiftedX >= 0 && shiftedX < W;
                    float expected = inside ? image[c * H * W + sy * W + sx] : -1f;
                    if (out[3 + c * H * W + y * W + x] != expected) {
                        return false;
                    }
                }
            }
        }
        return true;
    }

    @Test
    void withoutShiftOrMirrorTheImageIsCopiedUnchanged() {
        float[] image = labelledImage(1);
        float[] out = new float[image.length];
        ImageAugmentation.NONE.apply(image, 0, out, 0, 1, H, W, new SplittableRandom(1));
        assertArrayEquals(image, out);
    }

    @Test
    void theSameGeneratorStateGivesTheSameImage() {
        ImageAugmentation augmentation = new ImageAugmentation(3, true, -1f);
        float[] image = labelledImage(1);
        float[] first = new float[image.length];
        float[] second = new float[image.length];
        augmentation.apply(image, 0, first, 0, 1, H, W, new SplittableRandom(42));
        augmentation.apply(image, 0, second, 0, 1, H, W, new SplittableRandom(42));
        assertArrayEquals(first, second);
    }

    @Test
    void shiftsBeyondEightPixelsAreRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ImageAugmentation(9, false, -1f));
        assertTrue(e.getMessage().contains("0..8"), e.getMessage());
    }
}
