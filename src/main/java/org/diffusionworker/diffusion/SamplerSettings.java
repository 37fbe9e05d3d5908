package org.diffusionworker.diffusion;

/**
 * How to sample: the algorithm, its number of steps (DDIM; DDPM always takes T) and eta (DDIM).
 * Two requests with equal settings can share a forward pass.
 */
public record SamplerSettings(SamplerKind kind, int steps, double eta) {

    public SamplerSettings {
        if (kind == null) {
            throw new IllegalArgumentException("sampler is required (ddim or ddpm)");
        }
        if (kind == SamplerKind.DDPM && eta != 0) {
            throw new IllegalArgumentException("eta applies to DDIM only; DDPM's noise is fixed by its schedule");
        }
        if (!(eta >= 0 && eta <= 1)) {
            throw new IllegalArgumentException("eta must be in [0, 1], got " + eta);
        }
    }

    public static SamplerSettings ddim(int steps, double eta) {
        return new SamplerSettings(SamplerKind.DDIM, steps, eta);
    }

    /** DDPM over all of the schedule's T steps; {@code steps} is informational. */
    public static SamplerSettings ddpm(int timesteps) {
        return new SamplerSettings(SamplerKind.DDPM, timesteps, 0);
    }

    /** A sampler for {@code schedule}; invalid combinations (steps beyond T) fail naming them. */
    public Sampler create(NoiseSchedule schedule) {
        return switch (kind) {
            case DDPM -> {
                if (steps != schedule.timesteps()) {
                    throw new IllegalArgumentException("DDPM takes all " + schedule.timesteps()
                            + " steps of the model's schedule, got steps=" + steps);
                }
                yield new DdpmSampler(schedule);
            }
            case DDIM -> new DdimSampler(schedule, steps, eta);
        };
    }
}
