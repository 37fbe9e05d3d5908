package org.diffusionworker.training.evaluation;

/**
 * The Fréchet distance between two Gaussians fitted to feature sets (Dowson and Landau 1982; as
 * FID, Heusel et al. 2017, eq. 6):
 * {@code d^2 = |m1 - m2|^2 + tr(S1 + S2 - 2 (S1 S2)^(1/2))}.
 *
 * <p>The trace of {@code (S1 S2)^(1/2)} is taken as {@code tr((S1^(1/2) S2 S1^(1/2))^(1/2))}, which
 * has the same eigenvalues but is symmetric, so both square roots come from eigen-decompositions
 * of symmetric matrices ({@link SymmetricEigen}) rather than a general matrix square root.
 */
public final class FrechetDistance {

    private FrechetDistance() {}

    public static double between(FeatureStatistics a, FeatureStatistics b) {
        int d = a.dimensions();
        if (b.dimensions() != d) {
            throw new IllegalArgumentException("feature dimensions differ: " + d + " vs " + b.dimensions());
        }
        double meanTerm = 0;
        for (int i = 0; i < d; i++) {
            double diff = a.mean()[i] - b.mean()[i];
            meanTerm += diff * diff;
        }
        double traces = 0;
        for (int i = 0; i < d; i++) {
            traces += a.covariance()[i][i] + b.covariance()[i][i];
        }
        double[][] rootA = SymmetricEigen.of(a.covariance()).sqrtPsd();
        double[][] product = symmetrise(multiply(multiply(rootA, b.covariance()), rootA));
        double crossTrace = 0;
        for (double value : SymmetricEigen.of(product).values()) {
            crossTrace += Math.sqrt(Math.max(0, value));
        }
        // Rounding can take a distance of (near) zero slightly below it.
        return Math.max(0, meanTerm + traces - 2 * crossTrace);
    }

    static double[][] multiply(double[][] x, double[][] y) {
        int n = x.length;
        int m = y[0].length;
        int inner = y.length;
        double[][] result = new double[n][m];
        for (int i = 0; i < n; i++) {
            double[] row = result[i];
            for (int k = 0; k < inner; k++) {
                double xik = x[i][k];
                double[] yk = y[k];
                for (int j = 0; j < m; j++) {
                    row[j] += xik * yk[j];
                }
            }
        }
        return result;
    }

    private static double[][] symmetrise(double[][] m) {
        int n = m.length;
        double[][] result = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                result[i][j] = (m[i][j] + m[j][i]) / 2;
            }
        }
        return result;
    }
}
