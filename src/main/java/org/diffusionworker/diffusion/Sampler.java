package org.diffusionworker.diffusion;

import ai.djl.ndarray.NDArray;

/**
 * One reverse-diffusion algorithm set up for a number of steps, in the manner of diffusers'
 * schedulers: the driver calls the network, then {@link #step} turns its noise prediction into
 * the previous sample. Immutable, so one instance may serve any number of batches.
 */
public interface Sampler {

    /** The timesteps visited, from the noisiest down; the driver calls {@link #step} once for each. */
    int[] timesteps();

    /** Whether the step at {@code t} adds fresh Gaussian noise (then the driver passes it in). */
    boolean needsNoise(int t);

    /**
     * The sample one step less noisy.
     *
     * @param eps the network's noise prediction for {@code x} at {@code t}
     * @param t a timestep from {@link #timesteps()}
     * @param x the current sample
     * @param noise standard normal noise shaped as x when {@link #needsNoise(int)}, otherwise ignored (may be null)
     */
    NDArray step(NDArray eps, int t, NDArray x, NDArray noise);
}
