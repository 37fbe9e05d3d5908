package org.diffusionworker.training.evaluation;

/**
 * Eigen-decomposition of a real symmetric matrix by the cyclic Jacobi method (Golub and Van Loan,
 * "Matrix Computations", 4th ed., section 8.5): plane rotations zero the off-diagonal entries one
 * at a time until they are negligible. Slow for large matrices (O(n^3) per sweep, a handful of
 * sweeps) but simple, accurate and dependable at the sizes used here (n = 128).
 *
 * @param values the eigenvalues, ascending
 * @param vectors the matching unit eigenvectors as columns: {@code vectors[row][k]} belongs to {@code values[k]}
 */
public record SymmetricEigen(double[] values, double[][] vectors) {

    private static final int MAX_SWEEPS = 100;

    /** Decomposes {@code matrix}, which must be square and symmetric (to a relative 1e-9). */
    public static SymmetricEigen of(double[][] matrix) {
        int n = matrix.length;
        double[][] a = new double[n][];
        double scale = 0;
        for (int i = 0; i < n; i++) {
            if (matrix[i].length != n) {
                throw new IllegalArgumentException("matrix is not square: row " + i + " has " + matrix[i].length
                        + " entries, expected " + n);
            }
            a[i] = matrix[i].clone();
            for (double v : a[i]) {
                scale = Math.max(scale, Math.abs(v));
            }
        }
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < i; j++) {
                if (Math.abs(a[i][j] - a[j][i]) > 1e-9 * Math.max(scale, Double.MIN_NORMAL)) {
                    throw new IllegalArgumentException("matrix is not symmetric at (" + i + ", " + j + "): "
                            + a[i][j] + " vs " + a[j][i]);
                }
            }
        }
        double[][] v = identity(n);
        for (int sweep = 0; sweep < MAX_SWEEPS && offDiagonal(a) > 1e-22 * Math.max(diagonal(a), Double.MIN_NORMAL);
                sweep++) {
            for (int p = 0; p < n - 1; p++) {
                for (int q = p + 1; q < n; q++) {
                    rotate(a, v, p, q);
                }
            }
        }
        return sorted(a, v);
    }

    /** One Jacobi rotation in the (p, q) plane that zeroes a[p][q] (Golub and Van Loan, algorithm 8.5.1). */
    private static void rotate(double[][] a, double[][] v, int p, int q) {
        double apq = a[p][q];
        if (apq == 0) {
            return;
        }
        double theta = (a[q][q] - a[p][p]) / (2 * apq);
        double t = Math.signum(theta) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        if (theta == 0) {
            t = 1;
        }
        double c = 1 / Math.sqrt(t * t + 1);
        double s = t * c;
        int n = a.length;
        // a <- a R (columns p and q), then R^T a (rows p and q); v <- v R.
        for (int k = 0; k < n; k++) {
            double akp = a[k][p];
            double akq = a[k][q];
            a[k][p] = c * akp - s * akq;
            a[k][q] = s * akp + c * akq;
        }
        for (int k = 0; k < n; k++) {
            double apk = a[p][k];
            double aqk = a[q][k];
            a[p][k] = c * apk - s * aqk;
            a[q][k] = s * apk + c * aqk;
        }
        for (int k = 0; k < n; k++) {
            double vkp = v[k][p];
            double vkq = v[k][q];
            v[k][p] = c * vkp - s * vkq;
            v[k][q] = s * vkp + c * vkq;
        }
    }

    private static double offDiagonal(double[][] a) {
        double sum = 0;
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a.length; j++) {
                if (i != j) {
                    sum += a[i][j] * a[i][j];
                }
            }
        }
        return sum;
    }

    private static double diagonal(double[][] a) {
        double sum = 0;
        for (int i = 0; i < a.length; i++) {
            sum += a[i][i] * a[i][i];
        }
        return sum;
    }

    private static double[][] identity(int n) {
        double[][] m = new double[n][n];
        for (int i = 0; i < n; i++) {
            m[i][i] = 1;
        }
        return m;
    }

    private static SymmetricEigen sorted(double[][] a, double[][] v) {
        int n = a.length;
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, (i, j) -> Double.compare(a[i][i], a[j][j]));
        double[] values = new double[n];
        double[][] vectors = new double[n][n];
        for (int k = 0; k < n; k++) {
            values[k] = a[order[k]][order[k]];
            for (int row = 0; row < n; row++) {
                vectors[row][k] = v[row][order[k]];
            }
        }
        return new SymmetricEigen(values, vectors);
    }

    /**
     * The symmetric positive semi-definite square root {@code V diag(sqrt(max(l, 0))) V^T}; small
     * negative eigenvalues (rounding in a covariance estimate) count as zero.
     */
    public double[][] sqrtPsd() {
        int n = values.length;
        double[] roots = new double[n];
        for (int k = 0; k < n; k++) {
            roots[k] = Math.sqrt(Math.max(0, values[k]));
        }
        double[][] result = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = i; j < n; j++) {
                double sum = 0;
                for (int k = 0; k < n; k++) {
                    sum += vectors[i][k] * roots[k] * vectors[j][k];
                }
                result[i][j] = sum;
                result[j][i] = sum;
            }
        }
        return result;
    }
}
