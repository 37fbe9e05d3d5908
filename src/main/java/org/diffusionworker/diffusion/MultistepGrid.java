package org.diffusionworker.diffusion;

/**
 * The timesteps of a multistep sampler and where each one steps to: the spacing's n points, the last stepping to
 * t = 0 (the clean image, {@code ab_0 = 1}). Immutable.
 */
final class MultistepGrid {

    private final int[] timesteps;
    /** index[t] is the position of t in timesteps, -1 where t is not visited. */
    private final int[] index;

    MultistepGrid(NoiseSchedule schedule, int steps, TimestepSpacing spacing) {
        timesteps = spacing.timesteps(schedule, steps);
        index = new int[schedule.timesteps() + 1];
        java.util.Arrays.fill(index, -1);
        for (int i = 0; i < timesteps.length; i++) {
            index[timesteps[i]] = i;
        }
    }

    int[] timesteps() {
        return timesteps.clone();
    }

    int steps() {
        return timesteps.length;
    }

    /** The position of {@code t} among the timesteps, failing for one this grid does not visit. */
    int indexOf(int t) {
        if (t < 0 || t >= index.length || index[t] < 0) {
            throw new IllegalArgumentException("timestep " + t + " is not one of this sampler's " + timesteps.length);
        }
        return index[t];
    }

    /** The timestep that step {@code k} arrives at: the next one, or 0 after the last. */
    int target(int k) {
        return k + 1 < timesteps.length ? timesteps[k + 1] : 0;
    }
}
