package org.diffusionworker.diffusion;

import java.util.Arrays;
import java.util.stream.Collectors;

/** The reverse-diffusion algorithms on offer, each with the id that requests, commands and events use. */
public enum SamplerKind {
    /** Ancestral sampling, all T steps; stochastic. */
    DDPM("ddpm"),
    /** Implicit sampling in any number of steps up to T; deterministic at eta = 0. */
    DDIM("ddim"),
    /** DPM-Solver++(2M): multistep second order in data prediction; deterministic. */
    DPMPP_2M("dpmpp-2m"),
    /** UniPC, order 2, B(h) = e^h - 1: predictor-corrector in data prediction; deterministic. */
    UNIPC("unipc");

    private final String id;

    SamplerKind(String id) {
        this.id = id;
    }

    /** Parses an id ({@code ddim}, {@code ddpm}, {@code dpmpp-2m}, {@code unipc}), case-insensitively, naming the choices on failure. */
    public static SamplerKind parse(String name) {
        if (name != null) {
            for (SamplerKind kind : values()) {
                if (kind.id.equalsIgnoreCase(name.trim())) {
                    return kind;
                }
            }
        }
        throw new IllegalArgumentException("unknown sampler '" + name + "' (use " + choices() + ")");
    }

    /** The ids, comma-separated, for messages and help texts. */
    public static String choices() {
        return Arrays.stream(values()).map(SamplerKind::id).collect(Collectors.joining(", "));
    }

    /** The id as requests and events write it: {@code ddim}, {@code ddpm}, {@code dpmpp-2m}, {@code unipc}. */
    public String id() {
        return id;
    }

    /** Whether the number of steps is free (all but DDPM, which always takes the model's T). */
    public boolean takesSteps() {
        return this != DDPM;
    }

    /** Whether eta applies (DDIM only). */
    public boolean takesEta() {
        return this == DDIM;
    }

    /** Whether it is a multistep ODE solver whose timestep spacing may be chosen. */
    public boolean multistep() {
        return this == DPMPP_2M || this == UNIPC;
    }

    /** Below this many steps the solvers' default spacing is log-SNR, from it on trailing (measured, see below). */
    public static final int LOG_SNR_BELOW_STEPS = 10;

    /**
     * The spacing it runs on unless told otherwise: DDIM's grid is trailing; the solvers' was chosen by measurement
     * on the shipped model (docs/performance.md, N = 100 per label): at 5 steps log-SNR (the trailing grid's FD was
     * 29-32% higher at w = 1), at 10 trailing (log-SNR's FD 7-16% higher at both weights).
     */
    public TimestepSpacing defaultSpacing(int steps) {
        return multistep() && steps < LOG_SNR_BELOW_STEPS ? TimestepSpacing.LOG_SNR : TimestepSpacing.TRAILING;
    }

    /** For tables and result lines: {@code DDIM}, {@code DPM++2M}, {@code UniPC}. */
    public String displayName() {
        return switch (this) {
            case DDPM -> "DDPM";
            case DDIM -> "DDIM";
            case DPMPP_2M -> "DPM++2M";
            case UNIPC -> "UniPC";
        };
    }
}
