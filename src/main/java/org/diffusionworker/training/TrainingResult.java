package org.diffusionworker.training;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.diffusionworker.model.ModelSpec;

/**
 * A finished run: the model directory and its card, and the figures of the run.
 *
 * @param output the model directory ({@code ModelLoader.fromDirectory} loads it)
 * @param card the card written there
 * @param epochs every epoch's record, resumed ones included
 * @param finalLoss the last epoch's mean loss
 * @param imagesPerSecond training throughput over all epochs (steps only)
 * @param wallSeconds wall time over all sessions of the run, checkpoints and previews included
 */
public record TrainingResult(Path output, ModelSpec card, List<EpochRecord> epochs, double finalLoss,
        double imagesPerSecond, double wallSeconds) {

    /** The run in one line, as {@code train} prints it when done. */
    public String summary() {
        return String.format(Locale.ROOT, "trained %s: %d epochs, final loss %.5f, %.1f images/s, %.0f s wall;"
                + " model in %s", card.name(), epochs.size(), finalLoss, imagesPerSecond, wallSeconds, output);
    }
}
