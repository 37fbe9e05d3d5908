package org.diffusionworker.diffusion;

import ai.djl.ndarray.NDArray;

/**
 * What one sampler step gives back, as diffusers' {@code SchedulerOutput(prev_sample, pred_original_sample)} does.
 *
 * @param previous          the sample one step less noisy, shaped as the input
 * @param predictedOriginal the clean image the step's noise prediction implies,
 *                          {@code x0 = (x_t - sqrt(1 - ab_t) eps) / sqrt(ab_t)} (DDPM eq. 15), shaped as the input
 */
public record StepOutput(NDArray previous, NDArray predictedOriginal) {

    public StepOutput {
        if (previous == null || predictedOriginal == null) {
            throw new IllegalArgumentException("a step output needs the previous sample and the predicted x0");
        }
    }
}
