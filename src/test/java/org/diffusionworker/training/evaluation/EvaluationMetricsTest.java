package org.diffusionworker.training.evaluation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The metric code on inputs with known answers. */
class EvaluationMetricsTest {

    @Test
    void eigenDecompositionReconstructsTheMatrixWithOrthonormalVectors() {
        double[][] m = randomSymmetric(12, 3);
        SymmetricEigen eigen = SymmetricEigen.of(m);
        double[][] v = eigen.vectors();
        for (int i = 0; i < 12; i++) {
            for (int j = 0; j < 12; j++) {
                double reconstructed = 0;
                double dot = 0;
                for (int k = 0; k < 12; k++) {
                    reconstructed += v[i][k] * eigen.values()[k] * v[j][k];
                    dot += v[k][i] * v[k][j];
                }
                assertEquals(m[i][j], reconstructed, 1e-10);
                assertEquals(i == j ? 1 : 0, dot, 1e-10);
            }
        }
        for (int k = 1; k < 12; k++) {
            assertEquals(true, eigen.values()[k - 1] <= eigen.values()[k], "ascending");
        }
    }

    @Test
    void eigenvaluesOfAKnownMatrix() {
        // [[2, 1], [1, 2]] has eigenvalues 1 and 3; a diagonal matrix its diagonal.
        assertArrayEquals(new double[] {1, 3}, SymmetricEigen.of(new double[][] {{2, 1}, {1, 2}}).values(), 1e-12);
        assertArrayEquals(new double[] {-1, 4, 5},
                SymmetricEigen.of(new double[][] {{5, 0, 0}, {0, -1, 0}, {0, 0, 4}}).values(), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> SymmetricEigen.of(new double[][] {{1, 2}, {3, 1}}));
    }

    @Test
    void squareRootSquaresBackToTheMatrix() {
        double[][] a = randomSymmetric(6, 8);
        double[][] psd = FrechetDistance.multiply(a, a); // A A is PSD
        double[][] root = SymmetricEigen.of(psd).sqrtPsd();
        double[][] squared = FrechetDistance.multiply(root, root);
        for (int i = 0; i < 6; i++) {
            assertArrayEquals(psd[i], squared[i], 1e-9);
        }
    }

    @Test
    void frechetDistanceOfASetWithItselfIsZero() {
        float[] features = gaussian(500, 16, 0, 1, 4);
        FeatureStatistics stats = FeatureStatistics.of(features, 500, 16);
        assertEquals(0, FrechetDistance.between(stats, stats), 1e-8);
    }

    @Test
    void frechetDistanceMatchesTheClosedFormForDiagonalGaussians() {
        // Exact statistics: |m1 - m2|^2 + sum (sqrt(s1) - sqrt(s2))^2.
        FeatureStatistics a = new FeatureStatistics(100, new double[] {0, 0, 0},
                new double[][] {{1, 0, 0}, {0, 4, 0}, {0, 0, 9}});
        FeatureStatistics b = new FeatureStatistics(100, new double[] {1, 2, 2},
                new double[][] {{4, 0, 0}, {0, 4, 0}, {0, 0, 1}});
        assertEquals(9 + 1 + 0 + 4, FrechetDistance.between(a, b), 1e-9);
    }

    @Test
    void frechetDistanceMatchesTheClosedFormForNonCommutingCovariances() {
        // For 2 x 2 matrices, tr sqrt(M) = sqrt(tr M + 2 sqrt(det M)) when M's eigenvalues are >= 0.
        double[][] s1 = {{2, 1}, {1, 2}};
        double[][] s2 = {{3, -1}, {-1, 1}};
        double[][] m = FrechetDistance.multiply(s1, s2);
        double trace = m[0][0] + m[1][1];
        double det = m[0][0] * m[1][1] - m[0][1] * m[1][0];
        double expected = 0.25 + (2 + 2 + 3 + 1) - 2 * Math.sqrt(trace + 2 * Math.sqrt(det));
        FeatureStatistics a = new FeatureStatistics(10, new double[] {0.5, 0}, s1);
        FeatureStatistics b = new FeatureStatistics(10, new double[] {0, 0}, s2);
        assertEquals(expected, FrechetDistance.between(a, b), 1e-9);
    }

    @Test
    void frechetDistanceOfSampledShiftedGaussiansApproachesTheClosedForm() {
        // N(0, I) against N(shift, 4 I) in 8 dimensions: |shift|^2 + 8 (1 - 2)^2 = 8 * 0.25 + 8 = 10.
        int n = 20_000;
        float[] x = gaussian(n, 8, 0, 1, 1);
        float[] y = gaussian(n, 8, 0.5, 2, 2);
        double distance = FrechetDistance.between(FeatureStatistics.of(x, n, 8), FeatureStatistics.of(y, n, 8));
        assertEquals(10, distance, 0.25);
    }

    @Test
    void conditionalAccuracyIsComputedFromKnownPredictions() {
        int[] requested = {0, 0, 0, 0, 1, 1, 1, 1, 2, 2};
        int[] predicted = {0, 0, 1, 0, 1, 1, 1, 1, 0, 0};
        ClassificationScores scores = ClassificationScores.of(requested, predicted, List.of("a", "b", "c"));
        assertEquals(0.7, scores.accuracy(), 1e-12);
        assertArrayEquals(new double[] {0.75, 1.0, 0.0}, scores.perLabelAccuracy(), 1e-12);
        assertEquals(2, scores.confusion()[2][0]);
        assertEquals(10, scores.total());
        assertThrows(IllegalArgumentException.class,
                () -> ClassificationScores.of(new int[] {3}, new int[] {0}, List.of("a", "b", "c")));
    }

    private static float[] gaussian(int n, int d, double mean, double sd, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] values = new float[n * d];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (mean + sd * random.nextGaussian());
        }
        return values;
    }

    private static double[][] randomSymmetric(int n, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        double[][] m = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j <= i; j++) {
                m[i][j] = random.nextGaussian();
                m[j][i] = m[i][j];
            }
        }
        return m;
    }
}
