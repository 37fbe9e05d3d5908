package org.diffusionworker.diffusion;

import ai.djl.ndarray.NDArray;

/** The network as the samplers see it: the noise predicted in x at times t under context c. */
@FunctionalInterface
public interface Denoiser {

    /**
     * @param x noisy images {@code [B, C, H, W]}
     * @param t step index over T per image, {@code [B]}
     * @param c context vectors {@code [B, n_cfeat]} (zeros: no context)
     * @return the predicted noise, shaped as x
     */
    NDArray predictNoise(NDArray x, NDArray t, NDArray c);
}
