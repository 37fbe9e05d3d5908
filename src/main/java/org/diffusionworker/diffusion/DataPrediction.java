package org.diffusionworker.diffusion;

import ai.djl.ndarray.NDArray;

/**
 * The data-prediction form shared by the exponential-integrator samplers (DPM-Solver++, UniPC): with
 * {@code alpha_t = sqrt(ab_t)}, {@code sigma_t = sqrt(1 - ab_t)} and {@code lambda_t = log(alpha_t / sigma_t)},
 * the network's noise prediction becomes a clean-image prediction and the first-order step is DDIM's.
 */
final class DataPrediction {

    private DataPrediction() {}

    static double alpha(NoiseSchedule schedule, int t) {
        return Math.sqrt(schedule.alphaBar(t));
    }

    static double sigma(NoiseSchedule schedule, int t) {
        return Math.sqrt(1 - schedule.alphaBar(t));
    }

    /**
     * The clean image eps implies, {@code x0 = (x_t - sigma_t eps) / alpha_t}: DPM-Solver++'s data prediction model
     * (Lu et al. 2022b, section 4). Guidance is already in eps, so it is converted after guidance, as for DDIM.
     */
    static NDArray x0(NoiseSchedule schedule, int t, NDArray x, NDArray eps) {
        return x.sub(eps.mul((float) sigma(schedule, t))).muli((float) (1 / alpha(schedule, t)));
    }

    /**
     * The common part of every order's update from s to t: {@code (sigma_t / sigma_s) x_s - alpha_t (e^{-h} - 1) D},
     * {@code h = lambda_t - lambda_s}: the exact solution in data prediction, {@code x_t = (sigma_t / sigma_s) x_s
     * + sigma_t int_{lambda_s}^{lambda_t} e^lambda x0(lambda) dlambda} (DPM-Solver++ section 4.1), with x0 held at D
     * over the step. With D = x0(x_s) it is DPM-Solver++(1), which is DDIM. For t = 0 (sigma_t = 0, h infinite) it
     * is D itself, the limit.
     */
    static NDArray firstOrder(NoiseSchedule schedule, int s, int t, NDArray xs, NDArray d) {
        if (t == 0) {
            return d;
        }
        double h = schedule.lambda(t) - schedule.lambda(s);
        float keep = (float) (sigma(schedule, t) / sigma(schedule, s));
        float towardsD = (float) (-alpha(schedule, t) * Math.expm1(-h));
        return xs.mul(keep).addi(d.mul(towardsD));
    }
}
