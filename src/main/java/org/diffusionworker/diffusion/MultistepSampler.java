package org.diffusionworker.diffusion;

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
