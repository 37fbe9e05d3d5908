package org.diffusionworker.diffusion;

import ai.djl.ndarray.NDArray;

/**
 * UniPC (Zhao et al. 2023, arXiv 2302.04867) of order 2 with {@code B(h) = e^h - 1} (the "bh2" variant), in data
 * prediction on the model's discrete schedule. Every step first corrects the sample it is given with UniC, using the
 * network's prediction at that very sample (no extra network call), then predicts the next one with UniP.
 *
 * <p>Orders follow the authors' multistep schedule: the predictor of step k has order min(2, k + 1, n - k), so the
 * first step and the last (onto t = 0, {@code lower_order_final}) are first order, and the corrector of step k
 * has the order of step k - 1's predictor. No corrector runs at the last step: its sample is multiplied by
 * sigma_0 = 0. Deterministic and immutable: the last two predictions and the last corrected sample live in the run's
 * {@link SamplerHistory}.
 */
public final class UniPcSampler extends MultistepSampler {

    public UniPcSampler(NoiseSchedule schedule, int steps, TimestepSpacing spacing) {
        super(schedule, steps, spacing, 2);
    }

    @Override
    StepOutput solve(int k, int t, int target, NDArray x, NDArray x0, SamplerHistory history) {
        NDArray corrected = k > 0 && target > 0 ? correct(x0, t, history, predictorOrder(k - 1)) : x;
        NDArray next = DataPrediction.firstOrder(schedule, t, target, corrected, x0);
        if (predictorOrder(k) == 2) {
            // UniP-2: rho_p = 1/2, x_t = x_t' - alpha_t B(h) rho_p D1, D1 = (x0_{i-1} - x0_i) / r_1.
            SamplerHistory.Entry earlier = history.get(0);
            Coefficients c = new Coefficients(schedule, t, target, earlier.t());
            NDArray d1 = earlier.predictedOriginal().sub(x0).muli((float) (1 / c.r1));
            next = next.subi(d1.muli((float) (c.alphaB * 0.5)));
        }
        history.record(t, x0, corrected);
        return new StepOutput(next, x0);
    }

    /**
     * UniC: the sample x at t, which step k - 1 predicted from its corrected sample, made one order more accurate by
     * the prediction x0 at x itself.
     */
    private NDArray correct(NDArray x0, int t, SamplerHistory history, int order) {
        SamplerHistory.Entry last = history.get(0);
        int s0 = last.t();
        NDArray m0 = last.predictedOriginal();
        NDArray base = DataPrediction.firstOrder(schedule, s0, t, last.departedFrom(), m0);
        NDArray dt = x0.sub(m0);
        if (order == 1) {
            // UniC-1: rho_c = 1/2 on D1_t = x0_t - x0_{s0}.
            Coefficients c = new Coefficients(schedule, s0, t, -1);
            return base.subi(dt.muli((float) (c.alphaB * 0.5)));
        }
        // UniC-2: rho_c solves R rho = b with R = [[1, 1], [r_1, 1]] and b_k = k! phi_{k+1}(hh) / B(h) (hh = -h),
        // over D1 = (x0_{s1} - x0_{s0}) / r_1 and D1_t.
        SamplerHistory.Entry before = history.get(1);
        Coefficients c = new Coefficients(schedule, s0, t, before.t());
        double rhoOne = (c.b1 - c.b2) / (1 - c.r1);
        double rhoT = c.b1 - rhoOne;
        NDArray d1 = before.predictedOriginal().sub(m0).muli((float) (1 / c.r1));
        return base.subi(d1.muli((float) (c.alphaB * rhoOne)).addi(dt.muli((float) (c.alphaB * rhoT))));
    }

    /** The predictor's order at step k of n: warm-up at the start, lower order at the end. */
    private int predictorOrder(int k) {
        return Math.min(2, Math.min(k + 1, grid.steps() - k));
    }

    /**
     * The scalars of one UniPC update from s0 to t, with an earlier point s1 (or -1 for none): {@code hh = -h},
     * {@code B(h) = e^{hh} - 1}, {@code r_1 = (lambda_{s1} - lambda_{s0}) / h} and the right-hand side
     * {@code b_1 = phi_2 / B}, {@code b_2 = 2 phi_3 / B} with {@code phi_2 = (e^hh - 1) / hh - 1} and
     * {@code phi_3 = phi_2 / hh - 1/2} as the authors' recursion writes them.
     */
    private static final class Coefficients {
        final double alphaB;
        final double r1;
        final double b1;
        final double b2;

        Coefficients(NoiseSchedule schedule, int s0, int t, int s1) {
            double h = schedule.lambda(t) - schedule.lambda(s0);
            double hh = -h;
            double bh = Math.expm1(hh);
            double phi2 = Math.expm1(hh) / hh - 1;
            double phi3 = phi2 / hh - 0.5;
            alphaB = DataPrediction.alpha(schedule, t) * bh;
            r1 = s1 < 0 ? Double.NaN : (schedule.lambda(s1) - schedule.lambda(s0)) / h;
            b1 = phi2 / bh;
            b2 = 2 * phi3 / bh;
        }
    }
}
