package org.diffusionworker.diffusion;

import ai.djl.ndarray.NDArray;

/**
 * DPM-Solver++(2M) (Lu et al. 2022b, arXiv 2211.01095, Algorithm 2): the multistep second-order solver of the
 * diffusion ODE in data prediction, on the model's discrete schedule ({@code lambda_t} from {@code ab_t}).
 * Deterministic. The first step is first order (no earlier prediction yet); so is the last, which lands on t = 0
 * where {@code lambda} is infinite (diffusers' {@code lower_order_final}).
 *
 * <p>Immutable: the previous step's prediction is kept in the run's {@link SamplerHistory}.
 */
public final class DpmSolverSampler extends MultistepSampler {

    public DpmSolverSampler(NoiseSchedule schedule, int steps, TimestepSpacing spacing) {
        super(schedule, steps, spacing, 1);
    }

    @Override
    StepOutput solve(int k, int t, int target, NDArray x, NDArray x0, SamplerHistory history) {
        NDArray d = x0;
        if (k > 0 && target > 0) {
            SamplerHistory.Entry earlier = history.get(0);
            // Algorithm 2: r_i = h_{i-1} / h_i, D_i = (1 + 1 / (2 r_i)) x0_{i-1} - 1 / (2 r_i) x0_{i-2}.
            double h = schedule.lambda(target) - schedule.lambda(t);
            double hBefore = schedule.lambda(t) - schedule.lambda(earlier.t());
            double half = 0.5 * h / hBefore;
            d = x0.mul((float) (1 + half)).subi(earlier.predictedOriginal().mul((float) half));
        }
        history.record(t, x0, null);
        return new StepOutput(DataPrediction.firstOrder(schedule, t, target, x, d), x0);
    }
}
