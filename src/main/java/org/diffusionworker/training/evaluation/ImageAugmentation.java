package org.diffusionworker.training.evaluation;

import java.util.SplittableRandom;

/**
 * Label-preserving changes to a training image of the evaluation classifier: a shift of up to
 * {@code maxShift} pixels in each direction (the uncovered border takes {@code background}) and,
 * when {@code mirror} is set, a left-right flip half of the time. Fashion-MNIST's classes survive
 * both; digits do not survive a mirror, so mirroring is a choice made per dataset.
 *
 * <p>Measured on Fashion-MNIST (docs/training.md): they did not lift the small CNN past about 91.5% on
 * the real test images by themselves; they are kept because a classifier that has seen shifted items
 * judges samples by shape rather than by exact position.
 *
 * @param maxShift largest shift in pixels, 0 for none
 * @param mirror whether to flip left-right with probability one half
 * @param background the value of an empty pixel (-1: the data range is [-1, 1])
 */
public record ImageAugmentation(int maxShift, boolean mirror, float background) {

    public static final ImageAugmentation NONE = new ImageAugmentation(0, false, -1f);

    public ImageAugmentation {
        if (maxShift < 0 || maxShift > 8) {
            throw new IllegalArgumentException("classifier shift must be 0..8 pixels, got " + maxShift);
        }
    }

    /** Whether {@link #apply} can change an image. */
    public boolean changesImages() {
        return maxShift > 0 || mirror;
    }

    /**
     * Writes an augmented copy of one image ({@code channels x height x width} values from
     * {@code from[fromOffset]}) to {@code to[toOffset]}; the same shift and flip apply to every
     * channel. How many values it draws from {@code random} depends on the settings only, never on
     * the pixels, so a seeded run draws the same transforms whatever the images.
     */
    public void apply(float[] from, int fromOffset, float[] to, int toOffset, int channels, int height, int width,
            SplittableRandom random) {
        int dx = maxShift == 0 ? 0 : random.nextInt(-maxShift, maxShift + 1);
        int dy = maxShift == 0 ? 0 : random.nextInt(-maxShift, maxShift + 1);
        boolean flip = mirror && random.nextBoolean();
        for (int c = 0; c < channels; c++) {
            int plane = c * height * width;
            for (int y = 0; y < height; y++) {
                int sourceY = y - dy;
                for (int x = 0; x < width; x++) {
                    int shiftedX = x - dx;
                    int sourceX = flip ? width - 1 - shiftedX : shiftedX;
                    boolean inside = sourceY >= 0 && sourceY < height && shiftedX >= 0 && shiftedX < width;
                    to[toOffset + plane + y * width + x] =
                            inside ? from[fromOffset + plane + sourceY * width + sourceX] : background;
                }
            }
        }
    }
}
