package org.diffusionworker.training.evaluation;

import org.diffusionworker.imaging.ImageBatch;

/**
 * Generates the images an evaluation scores. The training package may not use the generation
 * engine, so the command that runs an evaluation passes one in.
 */
@FunctionalInterface
public interface SampleSource {

    /**
     * One image per entry of {@code labels} (a label index of the model), the image at position j seeded by
     * {@code (seed, first + j)}, sampled as {@code setting} says. Pixels in [-1, 1], in the order asked. Asking for
     * images {@code first..} of a setting in several calls gives the images one call would.
     */
    ImageBatch generate(EvaluationSetting setting, int[] labels, long seed, int first);

    /** The images {@code 0..labels.length-1} of a setting. */
    default ImageBatch generate(EvaluationSetting setting, int[] labels, long seed) {
        return generate(setting, labels, seed, 0);
    }
}
