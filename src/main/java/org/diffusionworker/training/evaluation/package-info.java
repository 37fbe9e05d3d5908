/**
 * Evaluation: scores what a model generates with a classifier trained on the real data
 * ({@link org.diffusionworker.training.evaluation.Evaluator},
 * {@link org.diffusionworker.training.evaluation.FeatureClassifier}): conditional accuracy and the
 * Fréchet distance in the classifier's features, written as a report.
 *
 * <p>It builds on {@link org.diffusionworker.training.data} and not on the trainer: the images to
 * score come through a {@link org.diffusionworker.training.evaluation.SampleSource} that the caller
 * (the {@code evaluate} command) implements with the generation engine.
 */
package org.diffusionworker.training.evaluation;
