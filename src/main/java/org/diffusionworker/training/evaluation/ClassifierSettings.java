package org.diffusionworker.training.evaluation;

/**
 * How the evaluation classifier is trained.
 *
 * @param epochs passes over the real training images
 * @param batchSize images per step
 * @param learningRate Adam's (constant) learning rate
 * @param seed weight initialisation and data order
 */
public record ClassifierSettings(int epochs, int batchSize, double learningRate, int seed) {

    public static final ClassifierSettings DEFAULT = new ClassifierSettings(3, 128, 1e-3, 1);

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
    }

    public ClassifierSettings withEpochs(int newEpochs) {
        return new ClassifierSettings(newEpochs, batchSize, learningRate, seed);
    }
}
