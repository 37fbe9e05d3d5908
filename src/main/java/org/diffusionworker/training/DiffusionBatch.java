package org.diffusionworker.training;

import java.util.SplittableRandom;
import org.diffusionworker.diffusion.NoiseSchedule;

/**
 * One training batch, noised on the host: for every image a timestep {@code t ~ U{1..T}}, noise
 * {@code z ~ N(0, I)} and {@code x_t = sqrt(ab_t) x + sqrt(1 - ab_t) z} (DDPM eq. 4 and
 * algorithm 1; the seed scaled z by {@code 1 - ab_t}, seed defect 1), and its one-hot context,
 * zeroed with probability {@code contextDropout} (Ho and Salimans 2022, algorithm 1).
 *
 * @param size images in the batch (B)
 * @param noisy x_t, {@code [B, C, H, W]} flat
 * @param noise z, the regression target, shaped as x_t
 * @param time t / T per image, {@code [B]}
 * @param context one-hot labels or zeros, {@code [B, labels]} flat
 */
public record DiffusionBatch(int size, float[] noisy, float[] noise, float[] time, float[] context) {

    /**
     * Draws the batch of images {@code order[from..to)} of {@code data}. The draws from
     * {@code random} happen in a fixed order (per image: timestep, dropout, then its noise), so a
     * generator seeded alike gives the same batch.
     */
    public static DiffusionBatch draw(ImageDataset data, int[] order, int from, int to, NoiseSchedule schedule,
            double contextDropout, SplittableRandom random) {
        int size = to - from;
        int perImage = data.valuesPerImage();
        int labels = data.labelCount();
        int steps = schedule.timesteps();
        float[] pixels = data.pixels();
        float[] noisy = new float[size * perImage];
        float[] noise = new float[size * perImage];
        float[] time = new float[size];
        float[] context = new float[size * labels];
        for (int i = 0; i < size; i++) {
            int image = order[from + i];
            int t = 1 + random.nextInt(steps);
            time[i] = (float) t / steps;
            if (!(random.nextDouble() < contextDropout)) {
                context[i * labels + data.label(image)] = 1f;
            }
            double alphaBar = schedule.alphaBar(t);
            float signal = (float) Math.sqrt(alphaBar);
            float spread = (float) Math.sqrt(1 - alphaBar);
            int source = image * perImage;
            int target = i * perImage;
            for (int j = 0; j < perImage; j++) {
                float z = (float) random.nextGaussian();
                noise[target + j] = z;
                noisy[target + j] = signal * pixels[source + j] + spread * z;
            }
        }
        return new DiffusionBatch(size, noisy, noise, time, context);
    }
}
