package org.diffusionworker.training.evaluation;

/**
 * The mean and covariance of a set of feature vectors, as the Fréchet distance needs them.
 * The covariance is the unbiased estimate (divided by n - 1), as numpy's {@code cov} and the FID
 * reference implementation compute it.
 *
 * @param count how many vectors
 * @param mean the mean vector, length d
 * @param covariance the d x d covariance
 */
public record FeatureStatistics(int count, double[] mean, double[][] covariance) {

    /** Statistics of {@code count} vectors of {@code dimensions} values each, row after row in {@code features}. */
    public static FeatureStatistics of(float[] features, int count, int dimensions) {
        if (count < 2) {
            throw new IllegalArgumentException("a covariance needs at least 2 vectors, got " + count);
        }
        if (features.length != (long) count * dimensions) {
            throw new IllegalArgumentException("features has " + features.length + " values, " + count + " x "
                    + dimensions + " expected");
        }
        double[] mean = new double[dimensions];
        for (int n = 0; n < count; n++) {
            for (int i = 0; i < dimensions; i++) {
                mean[i] += features[n * dimensions + i];
            }
        }
        for (int i = 0; i < dimensions; i++) {
            mean[i] /= count;
        }
        double[][] covariance = new double[dimensions][dimensions];
        double[] centred = new double[dimensions];
        for (int n = 0; n < count; n++) {
            for (int i = 0; i < dimensions; i++) {
                centred[i] = features[n * dimensions + i] - mean[i];
            }
            for (int i = 0; i < dimensions; i++) {
                double ci = centred[i];
                double[] row = covariance[i];
                for (int j = i; j < dimensions; j++) {
                    row[j] += ci * centred[j];
                }
            }
        }
        for (int i = 0; i < dimensions; i++) {
            for (int j = i; j < dimensions; j++) {
                covariance[i][j] /= count - 1;
                covariance[j][i] = covariance[i][j];
            }
        }
        return new FeatureStatistics(count, mean, covariance);
    }

    public int dimensions() {
        return mean.length;
    }
}
