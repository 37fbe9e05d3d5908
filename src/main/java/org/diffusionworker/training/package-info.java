/**
 * Training: the datasets a model learns from, the trainer and its evaluation.
 *
 * <p>The dataset readers ({@link org.diffusionworker.training.DatasetLoader} and the
 * {@code *DatasetReader} classes behind it) use the JDK only (java.nio, java.util.zip,
 * javax.imageio), so they can be tested on small files without an engine; they yield an
 * {@link org.diffusionworker.training.ImageDataset} of float arrays that the trainer turns into
 * engine arrays.
 */
package org.diffusionworker.training;
