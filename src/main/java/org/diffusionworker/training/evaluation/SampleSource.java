package org.diffusionworker.training.evaluation;

import org.diffusionworker.imaging.ImageBatch;

/**
 * Generates the images an evaluation scores. The training package may not use the generation
 * engine, so the command that runs an evaluation passes one in.
 */
@FunctionalInterface
public interface SampleSource {

    /**
     * One image per entry of {@code labels} (a label index of the model), image i seeded by
     * {@code (seed, i)}, sampled as {@code setting} says. Pixels in [-1, 1], in the order asked.
     */
    ImageBatch generate(EvaluationSetting setting, int[] labels, long seed);
}
