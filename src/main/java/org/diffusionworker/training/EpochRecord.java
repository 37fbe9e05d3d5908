package org.diffusionworker.training;

import java.util.Locale;

/**
 * One finished epoch, as the training log keeps it.
 *
 * @param epoch 1-based
 * @param learningRate the rate used throughout the epoch
 * @param meanLoss mean of the epoch's batch losses, weighted by batch size
 * @param images images trained on
 * @param seconds time spent in training steps (no checkpoints or previews)
 */
public record EpochRecord(int epoch, double learningRate, double meanLoss, int images, double seconds) {

    static final String CSV_HEADER = "epoch,learning_rate,mean_loss,images,seconds,images_per_second";

    public double imagesPerSecond() {
        return seconds > 0 ? images / seconds : 0;
    }

    String toCsv() {
        // Loss and rate in full (Double.toString round-trips), so a resumed run's log equals an uninterrupted one's.
        return epoch + "," + learningRate + "," + meanLoss + "," + images + ","
                + String.format(Locale.ROOT, "%.3f,%.1f", seconds, imagesPerSecond());
    }

    static EpochRecord fromCsv(String line) {
        String[] f = line.split(",");
        if (f.length < 5) {
            throw new IllegalArgumentException("training log line has " + f.length + " fields, expected 6: " + line);
        }
        return new EpochRecord(Integer.parseInt(f[0]), Double.parseDouble(f[1]), Double.parseDouble(f[2]),
                Integer.parseInt(f[3]), Double.parseDouble(f[4]));
    }
}
