package org.diffusionworker.training;

import ai.djl.training.tracker.Tracker;

/**
 * The seed's learning-rate schedule: {@code lr * (1 - epoch / epochs)} during epoch
 * {@code epoch} (0-based), so the first epoch runs at {@code lr} and the last at {@code lr / epochs}.
 *
 * <p>A function of the update count alone (update {@code n} belongs to epoch
 * {@code (n - 1) / batchesPerEpoch}), so a run resumed from a checkpoint follows the same schedule.
 */
public final class EpochLinearDecay implements Tracker {

    private final float learningRate;
    private final int epochs;
    private final int batchesPerEpoch;

    public EpochLinearDecay(double learningRate, int epochs, int batchesPerEpoch) {
        if (!(learningRate > 0) || epochs < 1 || batchesPerEpoch < 1) {
            throw new IllegalArgumentException("need lr > 0, epochs >= 1 and batchesPerEpoch >= 1, got lr="
                    + learningRate + " epochs=" + epochs + " batchesPerEpoch=" + batchesPerEpoch);
        }
        this.learningRate = (float) learningRate;
        this.epochs = epochs;
        this.batchesPerEpoch = batchesPerEpoch;
    }

    /** The learning rate during (0-based) epoch {@code epoch}. */
    public float atEpoch(int epoch) {
        return learningRate * (1f - (float) Math.min(epoch, epochs - 1) / epochs);
    }

    @Override
    public float getNewValue(int numUpdate) {
        // DJL counts updates from 1.
        return atEpoch(Math.max(0, numUpdate - 1) / batchesPerEpoch);
    }
}
