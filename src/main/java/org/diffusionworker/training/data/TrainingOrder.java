package org.diffusionworker.training.data;

import java.util.SplittableRandom;

/**
 * The randomness of a training run as a pure function of (seed, epoch, batch): the data order of
 * every epoch and a generator for every batch's timesteps, noise and context dropout. A run
 * resumed at an epoch boundary therefore draws exactly what an uninterrupted run would have.
 *
 * <p>Here, beside the datasets, because both trainers visit data in this order (the diffusion
 * trainer and the evaluation classifier), and the evaluation picks its seeded per-label samples
 * with it.
 */
public final class TrainingOrder {

    private static final long EPOCH_STREAM = 0x5DEECE66DL;
    private static final long BATCH_STREAM = 0x2545F4914F6CDD1DL;

    private final long seed;

    public TrainingOrder(long seed) {
        this.seed = seed;
    }

    /** A permutation of {@code 0..count-1} for (0-based) {@code epoch}: Fisher-Yates with a seeded generator. */
    public int[] permutation(int epoch, int count) {
        int[] order = new int[count];
        for (int i = 0; i < count; i++) {
            order[i] = i;
        }
        SplittableRandom random = new SplittableRandom(mix(seed, EPOCH_STREAM, epoch, 0));
        for (int i = count - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int swap = order[i];
            order[i] = order[j];
            order[j] = swap;
        }
        return order;
    }

    /** The generator for batch {@code batch} of epoch {@code epoch}. */
    public SplittableRandom batchRandom(int epoch, int batch) {
        return new SplittableRandom(mix(seed, BATCH_STREAM, epoch, batch));
    }

    /** SplitMix64's finaliser over the combined inputs: well-mixed, distinct streams per (epoch, batch). */
    private static long mix(long seed, long stream, int epoch, int batch) {
        long z = seed * 0x9E3779B97F4A7C15L + stream + ((long) epoch << 32) + batch;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
