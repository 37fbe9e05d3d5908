package org.diffusionworker.diffusion;

import ai.djl.ndarray.NDArray;

/**
 * Ancestral DDPM sampling, one step per timestep from T down to 1 (Ho et al. 2020, algorithm 2,
 * with sigma_t^2 = beta_t): {@code x <- (x - eps (1 - a_t) / sqrt(1 - ab_t)) / sqrt(a_t) + sqrt(b_t) z},
 * and no noise at the last step. This is the seed's {@code denoise_add_noise}.
 */
public final class DdpmSampler implements Sampler {

    private final NoiseSchedule schedule;
    private final int[] timesteps;

    public DdpmSampler(NoiseSchedule schedule) {
        this.schedule = schedule;
        int total = schedule.timesteps();
        timesteps = new int[total];
        for (int i = 0; i < total; i++) {
            timesteps[i] = total - i;
        }
    }

    @Override
    public int[] timesteps() {
        return timesteps.clone();
    }

    @Override
    public boolean needsNoise(int t) {
        return t > 1;
    }

    @Override
    public StepOutput step(NDArray eps, int t, NDArray x, NDArray noise, SamplerHistory history) {
        double a = schedule.alpha(t);
        double ab = schedule.alphaBar(t);
        float epsScale = (float) ((1 - a) / Math.sqrt(1 - ab));
        float inverseSqrtAlpha = (float) (1 / Math.sqrt(a));
        NDArray mean = x.sub(eps.mul(epsScale)).muli(inverseSqrtAlpha);
        // DDPM eq. 15: the x0 that eps implies, reported alongside.
        NDArray x0 = x.sub(eps.mul((float) Math.sqrt(1 - ab))).muli((float) (1 / Math.sqrt(ab)));
        if (!needsNoise(t)) {
            return new StepOutput(mean, x0);
        }
        if (noise == null) {
            throw new IllegalArgumentException("DDPM step at t=" + t + " needs noise");
        }
        return new StepOutput(mean.addi(noise.mul((float) Math.sqrt(schedule.beta(t)))), x0);
    }
}
