/**
 * Datasets: reads labelled images from IDX, NumPy and folder layouts
 * ({@link org.diffusionworker.training.data.DatasetLoader} and the {@code *DatasetReader} classes
 * behind it) into an {@link org.diffusionworker.training.data.ImageDataset} of float arrays, and
 * fixes the seeded order in which a dataset is visited
 * ({@link org.diffusionworker.training.data.TrainingOrder}).
 *
 * <p>The bottom of the three training packages: it uses the JDK only (java.nio, java.util.zip,
 * javax.imageio; and {@code imaging}'s {@code ImageBatch} to hand images on), so it can be tested on
 * small files without an engine, and it imports neither the trainer nor the evaluation.
 */
package org.diffusionworker.training.data;
