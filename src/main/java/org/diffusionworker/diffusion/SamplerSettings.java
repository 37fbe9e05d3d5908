package org.diffusionworker.diffusion;

/**
 * How to sample: the algorithm, its number of steps (DDPM always takes T), eta (DDIM) and the timestep spacing
 * (the multistep solvers; DDIM's grid is trailing). Two requests with equal settings can share a forward pass.
 */
public record SamplerSettings(SamplerKind kind, int steps, double eta, TimestepSpacing spacing) {

    public SamplerSettings {
        if (kind == null) {
            throw new IllegalArgumentException("sampler is required (" + SamplerKind.choices() + ")");
        }
        if (!kind.takesEta() && eta != 0) {
            throw new IllegalArgumentException("eta applies to DDIM only; " + kind.id()
                    + (kind == SamplerKind.DDPM ? "'s noise is fixed by its schedule" : " is deterministic"));
        }
        if (!(eta >= 0 && eta <= 1)) {
            throw new IllegalArgumentException("eta must be in [0, 1], got " + eta);
        }
        spacing = spacing == null ? kind.defaultSpacing(steps) : spacing;
        if (!kind.multistep() && spacing != kind.defaultSpacing(steps)) {
            throw new IllegalArgumentException("the timestep spacing applies to dpmpp-2m and unipc only; " + kind.id()
                    + " runs on its own grid");
        }
    }

    /** Settings on the kind's default spacing for these steps. */
    public SamplerSettings(SamplerKind kind, int steps, double eta) {
        this(kind, steps, eta, null);
    }

    public static SamplerSettings ddim(int steps, double eta) {
        return new SamplerSettings(SamplerKind.DDIM, steps, eta);
    }

    /** DDPM over all of the schedule's T steps; {@code steps} is informational. */
    public static SamplerSettings ddpm(int timesteps) {
        return new SamplerSettings(SamplerKind.DDPM, timesteps, 0);
    }

    /** A deterministic sampler of {@code kind} with {@code steps} steps (DDIM at eta 0), on its default spacing. */
    public static SamplerSettings of(SamplerKind kind, int steps) {
        return new SamplerSettings(kind, steps, 0);
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
            case DPMPP_2M -> new DpmSolverSampler(schedule, checkedSteps(schedule), spacing);
            case UNIPC -> new UniPcSampler(schedule, checkedSteps(schedule), spacing);
        };
    }

    private int checkedSteps(NoiseSchedule schedule) {
        if (steps < 1 || steps > schedule.timesteps()) {
            throw new IllegalArgumentException(kind.id() + " steps must be 1.." + schedule.timesteps()
                    + " (the model's T), got " + steps);
        }
        return steps;
    }
}
