package org.diffusionworker.training;

import ai.djl.Device;
import java.nio.file.Path;
import java.util.Objects;
import org.diffusionworker.model.ContextUnetConfig;
import org.diffusionworker.model.ModelSpec;
import org.diffusionworker.training.data.ImageDataset;

/**
 * What to train: the data, the network's width and schedule, the settings, and where to write.
 *
 * @param data the training images (square, height a multiple of 4)
 * @param dataSource where the data came from, for the model card (a path, or a description)
 * @param modelName the name in the model card
 * @param nFeat the ContextUnet's base number of feature maps
 * @param schedule the DDPM noise schedule to train with
 * @param settings the hyperparameters
 * @param output the model directory to write (checkpoints go under it)
 * @param resume continue from the newest checkpoint in {@code output} instead of starting afresh
 * @param device where to train
 */
public record TrainingJob(ImageDataset data, String dataSource, String modelName, int nFeat,
        ModelSpec.Schedule schedule, TrainingSettings settings, Path output, boolean resume, Device device) {

    /** The course's schedule: T = 500, beta from 1e-4 to 0.02. */
    public static final ModelSpec.Schedule COURSE_SCHEDULE = new ModelSpec.Schedule(500, 1e-4, 0.02);

    /** The course's betas over {@code timesteps} steps (a command's {@code --timesteps}), checked. */
    public static ModelSpec.Schedule courseSchedule(int timesteps) {
        try {
            return new ModelSpec.Schedule(timesteps, COURSE_SCHEDULE.beta1(), COURSE_SCHEDULE.beta2());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--timesteps: " + e.getMessage(), e);
        }
    }

    public TrainingJob {
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(schedule, "schedule");
        Objects.requireNonNull(settings, "settings");
        Objects.requireNonNull(output, "output");
        Objects.requireNonNull(device, "device");
        if (modelName == null || modelName.isBlank()) {
            throw new IllegalArgumentException("the model needs a name");
        }
        if (data.height() != data.width()) {
            throw new IllegalArgumentException("the ContextUnet takes square images; the data is "
                    + data.height() + "x" + data.width());
        }
        // Fails with the offending value named (height not a multiple of 4, n_feat not a multiple of 8).
        config(data, nFeat);
    }

    /** The network this job trains. */
    public ContextUnetConfig config() {
        return config(data, nFeat);
    }

    private static ContextUnetConfig config(ImageDataset data, int nFeat) {
        try {
            return new ContextUnetConfig(data.channels(), nFeat, data.labelCount(), data.height());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("cannot train a ContextUnet on " + data.shape() + " images with "
                    + data.labelCount() + " labels and --n-feat " + nFeat + ": " + e.getMessage(), e);
        }
    }
}
