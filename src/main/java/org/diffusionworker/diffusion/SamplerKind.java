package org.diffusionworker.diffusion;

import java.util.Locale;

/** The reverse-diffusion algorithms on offer. */
public enum SamplerKind {
    /** Ancestral sampling, all T steps; stochastic. */
    DDPM,
    /** Implicit sampling in any number of steps up to T; deterministic at eta = 0. */
    DDIM;

    /** Parses {@code ddpm} or {@code ddim}, case-insensitively, naming the choices on failure. */
    public static SamplerKind parse(String name) {
        if (name != null) {
            for (SamplerKind kind : values()) {
                if (kind.name().equalsIgnoreCase(name.trim())) {
                    return kind;
                }
            }
        }
        throw new IllegalArgumentException("unknown sampler '" + name + "' (use ddim or ddpm)");
    }

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }
}
