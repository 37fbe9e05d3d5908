package org.diffusionworker.training.evaluation;

import java.util.Arrays;
import java.util.List;

/**
 * How often a classifier named the label that was asked for: overall and per label, with the
 * confusion counts behind them.
 *
 * @param labels the label names
 * @param confusion {@code confusion[requested][predicted]} counts
 */
public record ClassificationScores(List<String> labels, int[][] confusion) {

    /** Scores {@code predicted[i]} against {@code requested[i]} for every i. */
    public static ClassificationScores of(int[] requested, int[] predicted, List<String> labels) {
        if (requested.length != predicted.length) {
            throw new IllegalArgumentException(requested.length + " requested labels but " + predicted.length
                    + " predictions");
        }
        int k = labels.size();
        int[][] confusion = new int[k][k];
        for (int i = 0; i < requested.length; i++) {
            if (requested[i] < 0 || requested[i] >= k || predicted[i] < 0 || predicted[i] >= k) {
                throw new IllegalArgumentException("label out of range 0.." + (k - 1) + " at " + i + ": requested "
                        + requested[i] + ", predicted " + predicted[i]);
            }
            confusion[requested[i]][predicted[i]]++;
        }
        return new ClassificationScores(List.copyOf(labels), confusion);
    }

    /** The fraction of all images classified as the label requested for them. */
    public double accuracy() {
        long right = 0;
        long all = 0;
        for (int r = 0; r < confusion.length; r++) {
            right += confusion[r][r];
            all += Arrays.stream(confusion[r]).sum();
        }
        return all == 0 ? Double.NaN : (double) right / all;
    }

    /** Per requested label, the fraction classified as that label (NaN for a label never requested). */
    public double[] perLabelAccuracy() {
        double[] accuracy = new double[confusion.length];
        for (int r = 0; r < confusion.length; r++) {
            int all = Arrays.stream(confusion[r]).sum();
            accuracy[r] = all == 0 ? Double.NaN : (double) confusion[r][r] / all;
        }
        return accuracy;
    }

    public int total() {
        return Arrays.stream(confusion).mapToInt(row -> Arrays.stream(row).sum()).sum();
    }
}
