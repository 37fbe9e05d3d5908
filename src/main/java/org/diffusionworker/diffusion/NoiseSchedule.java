package org.diffusionworker.diffusion;

/**
 * DDPM's linear beta schedule (Ho et al. 2020, section 4), computed once and shared read-only.
 *
 * <p>Index t runs 0..T: {@code b_t = beta1 + (beta2 - beta1) * t / T}, {@code a_t = 1 - b_t},
 * {@code ab_t = prod_{s<=t} a_s} computed as {@code exp(cumsum(log a))} like the seed, and
 * {@code ab_0 = 1} so that stepping to t = 0 means "clean image".
 */
public final class NoiseSchedule {

    private final int timesteps;
    private final double[] beta;
    private final double[] alpha;
    private final double[] alphaBar;

    public NoiseSchedule(int timesteps, double beta1, double beta2) {
        if (timesteps < 1) {
            throw new IllegalArgumentException("timesteps must be >= 1, got " + timesteps);
        }
        if (!(beta1 > 0 && beta1 < beta2 && beta2 < 1)) {
            throw new IllegalArgumentException("need 0 < beta1 < beta2 < 1, got beta1=" + beta1 + " beta2=" + beta2);
        }
        this.timesteps = timesteps;
        beta = new double[timesteps + 1];
        alpha = new double[timesteps + 1];
        alphaBar = new double[timesteps + 1];
        double logSum = 0;
        for (int t = 0; t <= timesteps; t++) {
            beta[t] = beta1 + (beta2 - beta1) * t / timesteps;
            alpha[t] = 1 - beta[t];
            logSum += Math.log(alpha[t]);
            alphaBar[t] = Math.exp(logSum);
        }
        alphaBar[0] = 1;
    }

    /** T, the number of diffusion steps the model was trained with. */
    public int timesteps() {
        return timesteps;
    }

    public double beta(int t) {
        return beta[check(t)];
    }

    public double alpha(int t) {
        return alpha[check(t)];
    }

    public double alphaBar(int t) {
        return alphaBar[check(t)];
    }

    /**
     * Half the log signal-to-noise ratio, {@code lambda_t = log(alpha_t / sigma_t)} with {@code alpha_t = sqrt(ab_t)} and
     * {@code sigma_t = sqrt(1 - ab_t)} (DPM-Solver, Lu et al. 2022, section 3.1): the time variable of the
     * exponential-integrator samplers. Infinite at t = 0, where the image is clean.
     */
    public double lambda(int t) {
        double ab = alphaBar(t);
        return 0.5 * (Math.log(ab) - Math.log1p(-ab));
    }

    private int check(int t) {
        if (t < 0 || t > timesteps) {
            throw new IllegalArgumentException("timestep must be 0.." + timesteps + ", got " + t);
        }
        return t;
    }
}
