package org.diffusionworker.console;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.diffusionworker.training.EpochRecord;
import org.diffusionworker.training.TrainingListener;

/**
 * Training progress on stderr: a bar over all batches of the run (elapsed / ETA), the current
 * epoch, a smoothed loss and images per second; one log line per epoch and checkpoint. After each batch it stops
 * the run ({@link StopSignal.Stopped}) once a signal asked for it.
 */
public class TrainingProgressBar implements TrainingListener, AutoCloseable {

    private static final System.Logger LOG = System.getLogger(TrainingProgressBar.class.getName());
    /** Weight of the newest batch in the smoothed loss and speed. */
    private static final double SMOOTHING = 0.05;

    private final boolean show;
    private final StopSignal stop;
    private ProgressBar bar;
    private int epochs;
    private double loss = Double.NaN;
    private double speed = Double.NaN;

    public TrainingProgressBar(boolean show, StopSignal stop) {
        this.show = show;
        this.stop = stop;
    }

    @Override
    public void started(TrainingStart start) {
        epochs = start.epochs();
        LOG.log(System.Logger.Level.INFO, "training {0} epochs of {1} images ({2} batches each), from epoch {3}",
                start.epochs(), start.images(), start.batchesPerEpoch(), start.firstEpoch());
        if (show) {
            bar = new ProgressBarBuilder()
                    .setTaskName("train")
                    .setInitialMax(start.totalBatches())
                    .startsFrom(start.batchesDone(), Duration.ZERO)
                    .setStyle(ProgressBarStyle.ASCII)
                    .setUpdateIntervalMillis(500)
                    .setConsumer(new ConsoleProgressBarConsumer(System.err))
                    .build();
        }
    }

    @Override
    public void batchDone(int epoch, int batch, float batchLoss, double imagesPerSecond) {
        loss = Double.isNaN(loss) ? batchLoss : (1 - SMOOTHING) * loss + SMOOTHING * batchLoss;
        speed = Double.isNaN(speed) ? imagesPerSecond : (1 - SMOOTHING) * speed + SMOOTHING * imagesPerSecond;
        if (bar != null) {
            bar.step();
            bar.setExtraMessage(String.format(Locale.ROOT, "ep %d/%d loss %.4f %.0f img/s", epoch, epochs, loss, speed));
        }
        if (stop.requested()) {
            throw new StopSignal.Stopped("after epoch " + epoch + ", batch " + batch);
        }
    }

    @Override
    public void epochDone(EpochRecord record) {
        LOG.log(System.Logger.Level.INFO, String.format(Locale.ROOT,
                "epoch %d/%d: mean loss %.5f, lr %.2e, %.1f images/s", record.epoch(), epochs, record.meanLoss(),
                record.learningRate(), record.imagesPerSecond()));
    }

    @Override
    public void checkpointWritten(int epoch, Path checkpoint) {
        LOG.log(System.Logger.Level.INFO, "checkpoint after epoch {0}: {1}", epoch, checkpoint);
    }

    @Override
    public void close() {
        if (bar != null) {
            bar.close();
        }
    }
}
