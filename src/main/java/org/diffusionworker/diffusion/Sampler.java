package org.diffusionworker.diffusion;

import ai.djl.ndarray.NDArray;

/**
 * One reverse-diffusion algorithm set up for a number of steps, in the manner of diffusers' schedulers: the driver
 * calls the network, then {@link #step} turns its noise prediction into the previous sample. Immutable, so one
 * instance may serve any number of batches: what a multistep sampler remembers between steps lives in a
 * {@link SamplerHistory} that the driver makes per run ({@link #newHistory()}) and passes to every step.
 */
public interface Sampler {

    /** The timesteps visited, from the noisiest down; the driver calls {@link #step} once for each. */
    int[] timesteps();

    /** Whether the step at {@code t} adds fresh Gaussian noise (then the driver passes it in). */
    boolean needsNoise(int t);

    /** An empty history for one run; single-step samplers remember nothing. */
    default SamplerHistory newHistory() {
        return new SamplerHistory(0);
    }

    /**
     * The sample one step less noisy, and the clean image predicted on the way.
     *
     * @param eps     the network's noise prediction for {@code x} at {@code t} (guided already, when guidance is on)
     * @param t       a timestep from {@link #timesteps()}, in order
     * @param x       the current sample
     * @param noise   standard normal noise shaped as x when {@link #needsNoise(int)}, otherwise ignored (may be null)
     * @param history this run's history, from {@link #newHistory()}; multistep samplers read and extend it
     */
    StepOutput step(NDArray eps, int t, NDArray x, NDArray noise, SamplerHistory history);
}
