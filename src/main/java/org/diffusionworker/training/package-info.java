/**
 * The trainer: teaches a diffusion model to predict the noise in labelled images
 * ({@link org.diffusionworker.training.DiffusionTrainer}), with its optimiser, checkpoints, resumable
 * run state, loss plot and preview grids.
 *
 * <p>Training is split in three packages, whose imports point one way: this one may use
 * {@link org.diffusionworker.training.evaluation} (scoring what a model generates) and
 * {@link org.diffusionworker.training.data} (reading datasets), evaluation may use data but not this
 * package, and data neither of them.
 */
package org.diffusionworker.training;
