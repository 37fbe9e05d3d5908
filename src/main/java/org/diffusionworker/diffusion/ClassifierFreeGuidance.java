package org.diffusionworker.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;

/**
 * Classifier-free guidance (Ho and Salimans, 2022, eq. 6): {@code eps = (1 + w) eps(c) - w eps(0)}.
 *
 * <p>w = 0 is plain conditional sampling and costs one forward pass; w > 0 evaluates the
 * conditional and unconditional predictions in one pass over a doubled batch, not two passes.
 */
public record ClassifierFreeGuidance(double weight) {

    /** The largest guidance weight anything accepts (requests, the load generator, training previews). */
    public static final int MAX_WEIGHT = 20;

    public ClassifierFreeGuidance {
        if (!(weight >= 0 && weight <= MAX_WEIGHT)) {
            throw new IllegalArgumentException("guidance weight must be in [0, " + MAX_WEIGHT + "], got " + weight);
        }
    }

    public boolean enabled() {
        return weight > 0;
    }

    /** The noise prediction for {@code x} under {@code c}, guided when enabled. */
    public NDArray predict(Denoiser denoiser, NDArray x, NDArray t, NDArray c) {
        if (!enabled()) {
            return denoiser.predictNoise(x, t, c);
        }
        int batch = Math.toIntExact(x.getShape().get(0));
        // One pass over [x; x] with [c; 0]: the first half conditional, the second unconditional.
        NDArray eps = denoiser.predictNoise(x.concat(x, 0), t.concat(t, 0), c.concat(c.zerosLike(), 0));
        NDList halves = eps.split(new long[] {batch}, 0);
        return halves.get(0).mul((float) (1 + weight)).subi(halves.get(1).mul((float) weight));
    }
}
