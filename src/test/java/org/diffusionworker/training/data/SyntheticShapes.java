package org.diffusionworker.training.data;

import java.util.List;
import java.util.SplittableRandom;

/**
 * Small labelled images the tests make themselves: three classes of simple, distinct patterns
 * (a filled square, horizontal stripes, vertical stripes) at jittered positions and contrasts,
 * plus a little pixel noise, in [-1, 1]. Public: the trainer's and the evaluation's tests use them too.
 */
public final class SyntheticShapes {

    public static final List<String> LABELS = List.of("square", "horizontal", "vertical");

    private SyntheticShapes() {}

    /** {@code count} images of {@code size x size}, labels cycling 0, 1, 2, drawn from {@code seed}. */
    public static ImageDataset make(int count, int size, long seed) {
        return make(count, size, seed, LABELS.size());
    }

    public static ImageDataset make(int count, int size, long seed, int classes) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] pixels = new float[count * size * size];
        int[] labels = new int[count];
        for (int n = 0; n < count; n++) {
            int label = n % classes;
            labels[n] = label;
            float contrast = 0.6f + 0.3f * (float) random.nextDouble();
            int phase = random.nextInt(2);
            int side = size / 2 + random.nextInt(size / 4);
            int x0 = random.nextInt(size - side + 1);
            int y0 = random.nextInt(size - side + 1);
            for (int y = 0; y < size; y++) {
                for (int x = 0; x < size; x++) {
                    boolean on = switch (label) {
                        case 0 -> x >= x0 && x < x0 + side && y >= y0 && y < y0 + side;
                        case 1 -> ((y / 2) + phase) % 2 == 0;
                        default -> ((x / 2) + phase) % 2 == 0;
                    };
                    float value = (on ? contrast : -contrast) + 0.05f * (float) random.nextGaussian();
                    pixels[(n * size + y) * size + x] = Math.max(-1f, Math.min(1f, value));
                }
            }
        }
        return new ImageDataset(count, 1, size, size, pixels, labels, LABELS.subList(0, classes));
    }
}
