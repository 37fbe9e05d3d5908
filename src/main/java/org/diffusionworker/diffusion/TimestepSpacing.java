package org.diffusionworker.diffusion;

/**
 * Where n sampling steps fall on the model's T discrete timesteps. Each spacing places n + 1 points from the noisiest
 * end (t = T) towards the clean end; the sampler visits the first n and steps from the last of them to t = 0.
 */
public enum TimestepSpacing {
    /** Uniform in t: {@code t_i = round(T - i T / n)} (diffusers' "trailing"; the seed's grid when n divides T). */
    TRAILING,
    /**
     * Uniform in lambda, half the log-SNR, from lambda(T) to lambda(1) (DPM-Solver's "logSNR" skip type, Lu et al.
     * 2022, section 3.4), each point rounded to the timestep of nearest lambda.
     */
    LOG_SNR;

    /** {@code trailing} or {@code log-snr}. */
    public String id() {
        return this == TRAILING ? "trailing" : "log-snr";
    }

    /** Parses an {@link #id()}, case-insensitively, naming the choices on failure. */
    public static TimestepSpacing parse(String text) {
        for (TimestepSpacing spacing : values()) {
            if (text != null && spacing.id().equalsIgnoreCase(text.strip())) {
                return spacing;
            }
        }
        throw new IllegalArgumentException("unknown timestep spacing '" + text + "' (use trailing or log-snr)");
    }

    /** The n timesteps visited, strictly decreasing, the first T and the last at least 1. */
    public int[] timesteps(NoiseSchedule schedule, int steps) {
        int total = schedule.timesteps();
        if (steps < 1 || steps > total) {
            throw new IllegalArgumentException("steps must be 1.." + total + " (the model's T), got " + steps);
        }
        int[] t = new int[steps];
        for (int i = 0; i < steps; i++) {
            int wanted = switch (this) {
                case TRAILING -> (int) Math.round(total - (double) i * total / steps);
                case LOG_SNR -> nearestInLambda(schedule, schedule.lambda(total)
                        + (double) i / steps * (schedule.lambda(1) - schedule.lambda(total)));
            };
            // Rounding may land two points on one timestep when n is close to T: keep them distinct and leave room
            // for the steps still to come.
            int upper = i == 0 ? total : t[i - 1] - 1;
            t[i] = Math.max(steps - i, Math.min(upper, wanted));
        }
        return t;
    }

    /** The timestep in 1..T whose lambda is nearest; lambda falls as t grows. */
    private static int nearestInLambda(NoiseSchedule schedule, double lambda) {
        int best = 1;
        for (int t = 2; t <= schedule.timesteps(); t++) {
            if (Math.abs(schedule.lambda(t) - lambda) < Math.abs(schedule.lambda(best) - lambda)) {
                best = t;
            }
        }
        return best;
    }
}
