package org.diffusionworker.training;

import java.util.SplittableRandom;
import org.diffusionworker.diffusion.NoiseSchedule;
import org.diffusionworker.training.data.ImageDataset;

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
            int target = i * perImage;
            for (int j = 0; j < perImage; j++) {
                noise[target + j] = (float) random.nextGaussian();
            }
            noise(pixels, image * perImage, noise, noisy, target, perImage, schedule.alphaBar(t));
        }
        return new DiffusionBatch(size, noisy, noise, time, context);
    }

    /**
     * The batch made of given images {@code x0} ({@code [B, C, H, W]} flat), noise, timesteps
     * (1..T) and contexts, noised exactly as {@link #draw} noises: for reproducing a batch made
     * elsewhere (the PyTorch reference's training step).
     */
    public static DiffusionBatch of(float[] x0, float[] noise, int[] timesteps, float[] context,
            NoiseSchedule schedule) {
        int size = timesteps.length;
        if (size == 0 || x0.length != noise.length || x0.length % size != 0 || context.length % size != 0) {
            throw new IllegalArgumentException("x0 (" + x0.length + "), noise (" + noise.length + ") and context ("
                    + context.length + ") do not split into " + size + " images");
        }
        int perImage = x0.length / size;
        float[] noisy = new float[x0.length];
        float[] time = new float[size];
        for (int i = 0; i < size; i++) {
            int t = timesteps[i];
            if (t < 1 || t > schedule.timesteps()) {
                throw new IllegalArgumentException("timestep " + t + " is outside 1.." + schedule.timesteps());
            }
            time[i] = (float) t / schedule.timesteps();
            noise(x0, i * perImage, noise, noisy, i * perImage, perImage, schedule.alphaBar(t));
        }
        return new DiffusionBatch(size, noisy, noise.clone(), time, context.clone());
    }

    /** {@code x_t = sqrt(ab_t) x + sqrt(1 - ab_t) z} for one image. */
    private static void noise(float[] x, int from, float[] z, float[] noisy, int to, int count, double alphaBar) {
        float signal = (float) Math.sqrt(alphaBar);
        float spread = (float) Math.sqrt(1 - alphaBar);
        for (int j = 0; j < count; j++) {
            noisy[to + j] = signal * x[from + j] + spread * z[to + j];
        }
    }
}
