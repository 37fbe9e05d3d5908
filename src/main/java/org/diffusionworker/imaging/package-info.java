/**
 * Turns sampled image tensors (already copied out of the engine as float arrays) into pictures:
 * grids like torchvision's {@code make_grid}, PNG files and animated GIFs of sampling trajectories.
 *
 * <p>This package depends on the JDK only (java.awt.image, javax.imageio), so it can be tested and
 * reused without a model or a container.
 */
package org.diffusionworker.imaging;
