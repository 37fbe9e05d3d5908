package org.diffusionworker.diffusion;

import ai.djl.ndarray.NDArray;

/**
 * What the deterministic multistep solvers share: the schedule, their grid of timesteps on a spacing, no noise, and
 * how many earlier steps their run's {@link SamplerHistory} keeps. Immutable.
 */
abstract class MultistepSampler implements Sampler {

    final NoiseSchedule schedule;
    final MultistepGrid grid;
    private final int historyLength;

    MultistepSampler(NoiseSchedule schedule, int steps, TimestepSpacing spacing, int historyLength) {
        this.schedule = schedule;
        this.grid = new MultistepGrid(schedule, steps, spacing);
        this.historyLength = historyLength;
    }

    /**
     * Both solvers work in data prediction: the step finds its place k on the grid, the timestep it lands on, and
     * the network's x0 at {@code x}, then hands them to {@link #solve}.
     */
    @Override
    public final StepOutput step(NDArray eps, int t, NDArray x, NDArray noise, SamplerHistory history) {
        int k = grid.indexOf(t);
        int target = grid.target(k);
        NDArray x0 = DataPrediction.x0(schedule, t, x, eps);
        return solve(k, t, target, x, x0, history);
    }

    /** Step k of the grid, from {@code x} at t to {@code target}, given the prediction {@code x0} at {@code x}. */
    abstract StepOutput solve(int k, int t, int target, NDArray x, NDArray x0, SamplerHistory history);

    @Override
    public final int[] timesteps() {
        return grid.timesteps();
    }

    @Override
    public final boolean needsNoise(int t) {
        return false;
    }

    @Override
    public final SamplerHistory newHistory() {
        return new SamplerHistory(historyLength);
    }
}
