package org.diffusionworker.training.evaluation;

import java.util.Objects;

/**
 * How the evaluation classifier is trained.
 *
 * @param epochs passes over the real training images
 * @param batchSize images per step
 * @param learningRate Adam's learning rate at the start; it falls to 0 along a cosine by the last step
 * @param seed weight initialisation, data order and augmentation
 * @param augmentation how training images are shifted and mirrored
 */
public record ClassifierSettings(int epochs, int batchSize, double learningRate, int seed,
        ImageAugmentation augmentation) {

    /** Epochs of {@link #DEFAULT}, and of {@code evaluate --classifier-epochs} unless given. */
    public static final int DEFAULT_EPOCHS = 15;

    /** 15 epochs, shifts of up to 2 pixels, no mirror ({@code evaluate --classifier-mirror} adds it). */
    public static final ClassifierSettings DEFAULT =
            new ClassifierSettings(DEFAULT_EPOCHS, 128, 1e-3, 1, new ImageAugmentation(2, false, -1f));

    public ClassifierSettings {
        if (epochs < 1 || epochs > 1000) {
            throw new IllegalArgumentException("--classifier-epochs must be 1..1000, got " + epochs);
        }
        if (batchSize < 2) {
            throw new IllegalArgumentException("classifier batch size must be >= 2, got " + batchSize);
        }
        if (!(learningRate > 0 && learningRate < 1)) {
            throw new IllegalArgumentException("classifier learning rate must be in (0, 1), got " + learningRate);
        }
        Objects.requireNonNull(augmentation, "augmentation");
    }

    /** Without augmentation. */
    public ClassifierSettings(int epochs, int batchSize, double learningRate, int seed) {
        this(epochs, batchSize, learningRate, seed, ImageAugmentation.NONE);
    }

    public ClassifierSettings withEpochs(int newEpochs) {
        return new ClassifierSettings(newEpochs, batchSize, learningRate, seed, augmentation);
    }

    public ClassifierSettings withMirror(boolean mirror) {
        return new ClassifierSettings(epochs, batchSize, learningRate, seed,
                new ImageAugmentation(augmentation.maxShift(), mirror, augmentation.background()));
    }
}
