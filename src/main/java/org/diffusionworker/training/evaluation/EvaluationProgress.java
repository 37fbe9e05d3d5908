package org.diffusionworker.training.evaluation;

/**
 * What an evaluation reports while it runs: one task for the classifier's training and one for each
 * setting it scores. The caller draws them (the {@code evaluate} command: progress bars) and may stop the
 * run by throwing from {@link Task#step()}.
 */
public interface EvaluationProgress {

    /** Reports nothing. */
    EvaluationProgress NONE = (name, max) -> new Task() {};

    /** A task of {@code max} steps begins (0: not known yet). */
    Task start(String name, long max);

    /** One task's progress; closed when it ends. */
    interface Task extends AutoCloseable {

        /** After every classifier batch or denoising step. */
        default void step() {}

        /** The number of steps, once known. */
        default void maxHint(long max) {}

        /** A note beside the bar (e.g. the accuracy after an epoch). */
        default void message(String text) {}

        @Override
        default void close() {}
    }
}
