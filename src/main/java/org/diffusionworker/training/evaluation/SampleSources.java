package org.diffusionworker.training.evaluation;

/**
 * Where an evaluation's generated images come from: one {@link SampleSource} per setting scored,
 * each reporting its denoising steps to the task that setting is drawn in.
 */
public interface SampleSources {

    /** A source that calls {@code afterEachStep} after every denoising step. */
    SampleSource open(Runnable afterEachStep);

    /** Denoising steps that generating {@code images} images under {@code setting} takes. */
    long stepsFor(EvaluationSetting setting, int images);

    /** Images handed out so far that were read from an earlier run instead of sampled (none unless they are kept). */
    default int imagesRead() {
        return 0;
    }
}
