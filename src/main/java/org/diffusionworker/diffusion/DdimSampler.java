package org.diffusionworker.diffusion;

import ai.djl.ndarray.NDArray;

/**
 * DDIM sampling (Song et al. 2021) over {@code steps} of the model's T timesteps.
 *
 * <p>Timesteps are spaced "trailing" as in diffusers: {@code t_i = round(T - i T / n)} for
 * i = 0..n-1, each stepping to the next (the last to 0). When n divides T this is exactly the seed's
 * grid {@code range(T, 0, -T/n)}. With {@code eta = 0} (the seed's DDIM) the update is
 * deterministic; {@code eta = 1} matches DDPM's variance (DDIM eq. 16).
 */
public final class DdimSampler implements Sampler {

    private final NoiseSchedule schedule;
    private final double eta;
    private final int[] timesteps;
    /** previous[t] is the timestep that t steps to. */
    private final int[] previous;

    public DdimSampler(NoiseSchedule schedule, int steps, double eta) {
        int total = schedule.timesteps();
        if (steps < 1 || steps > total) {
            throw new IllegalArgumentException("DDIM steps must be 1.." + total + " (the model's T), got " + steps);
        }
        if (!(eta >= 0 && eta <= 1)) {
            throw new IllegalArgumentException("DDIM eta must be in [0, 1], got " + eta);
        }
        this.schedule = schedule;
        this.eta = eta;
        timesteps = TimestepSpacing.TRAILING.timesteps(schedule, steps);
        previous = new int[total + 1];
        for (int i = 0; i < steps; i++) {
            previous[timesteps[i]] = i + 1 < steps ? timesteps[i + 1] : 0;
        }
    }

    @Override
    public int[] timesteps() {
        return timesteps.clone();
    }

    @Override
    public boolean needsNoise(int t) {
        return eta > 0 && previous[t] > 0;
    }

    @Override
    public StepOutput step(NDArray eps, int t, NDArray x, NDArray noise, SamplerHistory history) {
        double ab = schedule.alphaBar(t);
        double abPrev = schedule.alphaBar(previous[t]);
        // DDIM eq. 16: sigma_t = eta sqrt((1 - ab_prev) / (1 - ab_t)) sqrt(1 - ab_t / ab_prev).
        double sigma = eta * Math.sqrt((1 - abPrev) / (1 - ab)) * Math.sqrt(1 - ab / abPrev);
        // DDIM eq. 12: x_prev = sqrt(ab_prev) x0 + sqrt(1 - ab_prev - sigma^2) eps + sigma z,
        // with x0 = (x - sqrt(1 - ab_t) eps) / sqrt(ab_t) folded into one scale (x0 itself is reported beside).
        float x0Scale = (float) (Math.sqrt(abPrev) / Math.sqrt(ab));
        float epsInX0 = (float) Math.sqrt(1 - ab);
        float direction = (float) Math.sqrt(Math.max(0, 1 - abPrev - sigma * sigma));
        NDArray signal = x.sub(eps.mul(epsInX0));
        NDArray x0 = signal.mul((float) (1 / Math.sqrt(ab)));
        NDArray next = signal.muli(x0Scale).addi(eps.mul(direction));
        if (!needsNoise(t)) {
            return new StepOutput(next, x0);
        }
        if (noise == null) {
            throw new IllegalArgumentException("DDIM step at t=" + t + " with eta=" + eta + " needs noise");
        }
        return new StepOutput(next.addi(noise.mul((float) sigma)), x0);
    }
}
