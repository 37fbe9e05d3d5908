package org.diffusionworker.training;

import org.diffusionworker.diffusion.ClassifierFreeGuidance;

/**
 * How a diffusion model is trained: the seed's hyperparameters, each validated with the option
 * that sets it named in the message.
 *
 * @param epochs passes over the data; the learning rate decays linearly to zero over them
 * @param batchSize images per optimiser step (the last batch of an epoch may be smaller)
 * @param learningRate Adam's initial learning rate (the course: 1e-3)
 * @param contextDropout the fraction of samples whose context is zeroed, which teaches the
 *     unconditional model that classifier-free guidance needs (the course: 0.1)
 * @param checkpointEvery write a checkpoint every this many epochs (and always after the last)
 * @param seed fixes weight initialisation, data order, timesteps, noise and context dropout
 * @param previewSteps DDIM steps of the sample grid drawn at every checkpoint
 * @param previewGuidance classifier-free guidance weight of the sample grid
 * @param previewPerLabel images per label (one row per label) in the sample grid
 * @param emaDecay the decay of the exponential moving average of the weights that is published as the model
 *     ({@link WeightAverage}); 0 publishes the trained weights themselves
 * @param precision the arithmetic of the forward and backward passes ({@link TrainingPrecision})
 */
public record TrainingSettings(int epochs, int batchSize, double learningRate, double contextDropout,
        int checkpointEvery, int seed, int previewSteps, double previewGuidance, int previewPerLabel,
        double emaDecay, TrainingPrecision precision) {

    public static final int DEFAULT_EPOCHS = 32;
    public static final int DEFAULT_BATCH_SIZE = 100;
    public static final double DEFAULT_LEARNING_RATE = 1e-3;
    public static final double DEFAULT_CONTEXT_DROPOUT = 0.1;
    public static final int DEFAULT_CHECKPOINT_EVERY = 4;
    public static final int DEFAULT_PREVIEW_STEPS = 25;
    public static final double DEFAULT_PREVIEW_GUIDANCE = 1.0;
    public static final int DEFAULT_PREVIEW_PER_LABEL = 8;
    /**
     * Off: with the learning rate decaying linearly to zero the last epochs barely move the weights, and a 0.999
     * average of them (a horizon of 1,000 steps) was measured worse than the weights it averages (an 8-epoch
     * Fashion-MNIST run: distance +23% at guidance 1); a 10-epoch averaged run was also worse than the shipped model
     * there (+18%). docs/training.md has both.
     */
    public static final double DEFAULT_EMA_DECAY = 0;

    public TrainingSettings {
        if (epochs < 1 || epochs > 100_000) {
            throw new IllegalArgumentException("--epochs must be 1..100000, got " + epochs);
        }
        if (batchSize < 2 || batchSize > 65_536) {
            throw new IllegalArgumentException("--batch-size must be 2..65536 (BatchNorm needs two samples), got "
                    + batchSize);
        }
        if (!(learningRate > 0 && learningRate <= 1)) {
            throw new IllegalArgumentException("--lr must be in (0, 1], got " + learningRate);
        }
        if (!(contextDropout >= 0 && contextDropout <= 1)) {
            throw new IllegalArgumentException("--context-dropout must be in [0, 1], got " + contextDropout);
        }
        if (checkpointEvery < 1) {
            throw new IllegalArgumentException("--checkpoint-every must be >= 1 epoch, got " + checkpointEvery);
        }
        if (previewSteps < 1) {
            throw new IllegalArgumentException("preview steps must be >= 1, got " + previewSteps);
        }
        if (!(previewGuidance >= 0 && previewGuidance <= ClassifierFreeGuidance.MAX_WEIGHT)) {
            throw new IllegalArgumentException("preview guidance must be in [0, " + ClassifierFreeGuidance.MAX_WEIGHT
                    + "], got " + previewGuidance);
        }
        if (previewPerLabel < 1 || previewPerLabel > 64) {
            throw new IllegalArgumentException("preview images per label must be 1..64, got " + previewPerLabel);
        }
        if (!(emaDecay == 0 || (emaDecay > 0 && emaDecay < 1))) {
            throw new IllegalArgumentException("--ema-decay must be 0 (off) or in (0, 1), got " + emaDecay);
        }
        if (precision == null) {
            throw new IllegalArgumentException("--precision must be given");
        }
    }

    /** Settings in float32 ({@link TrainingPrecision#FP32}). */
    public TrainingSettings(int epochs, int batchSize, double learningRate, double contextDropout,
            int checkpointEvery, int seed, int previewSteps, double previewGuidance, int previewPerLabel,
            double emaDecay) {
        this(epochs, batchSize, learningRate, contextDropout, checkpointEvery, seed, previewSteps, previewGuidance,
                previewPerLabel, emaDecay, TrainingPrecision.FP32);
    }

    /** Settings with the default weight average ({@link #DEFAULT_EMA_DECAY}: none), in float32. */
    public TrainingSettings(int epochs, int batchSize, double learningRate, double contextDropout,
            int checkpointEvery, int seed, int previewSteps, double previewGuidance, int previewPerLabel) {
        this(epochs, batchSize, learningRate, contextDropout, checkpointEvery, seed, previewSteps, previewGuidance,
                previewPerLabel, DEFAULT_EMA_DECAY);
    }

    /** The course's settings for {@code epochs} epochs and {@code seed}. */
    public static TrainingSettings defaults(int epochs, int seed) {
        return new TrainingSettings(epochs, DEFAULT_BATCH_SIZE, DEFAULT_LEARNING_RATE, DEFAULT_CONTEXT_DROPOUT,
                DEFAULT_CHECKPOINT_EVERY, seed, DEFAULT_PREVIEW_STEPS, DEFAULT_PREVIEW_GUIDANCE,
                DEFAULT_PREVIEW_PER_LABEL);
    }

    public TrainingSettings withEpochs(int newEpochs) {
        return new TrainingSettings(newEpochs, batchSize, learningRate, contextDropout, checkpointEvery, seed,
                previewSteps, previewGuidance, previewPerLabel, emaDecay, precision);
    }

    public TrainingSettings withBatchSize(int newBatchSize) {
        return new TrainingSettings(epochs, newBatchSize, learningRate, contextDropout, checkpointEvery, seed,
                previewSteps, previewGuidance, previewPerLabel, emaDecay, precision);
    }

    public TrainingSettings withEmaDecay(double newEmaDecay) {
        return new TrainingSettings(epochs, batchSize, learningRate, contextDropout, checkpointEvery, seed,
                previewSteps, previewGuidance, previewPerLabel, newEmaDecay, precision);
    }

    public TrainingSettings withPrecision(TrainingPrecision newPrecision) {
        return new TrainingSettings(epochs, batchSize, learningRate, contextDropout, checkpointEvery, seed,
                previewSteps, previewGuidance, previewPerLabel, emaDecay, newPrecision);
    }

    /** Optimiser steps in one epoch over {@code images} images (the last batch may be partial). */
    public int batchesPerEpoch(int images) {
        return (images + batchSize - 1) / batchSize;
    }
}
