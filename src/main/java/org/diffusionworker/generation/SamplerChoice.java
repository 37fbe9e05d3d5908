package org.diffusionworker.generation;

import org.diffusionworker.diffusion.SamplerKind;
import org.diffusionworker.diffusion.SamplerSettings;
import org.diffusionworker.diffusion.TimestepSpacing;

/**
 * The sampler that the {@code sample} command's options choose ({@code --sampler}, {@code --steps}, {@code --eta},
 * {@code --spacing}), checked against the model's T with those options named in the messages, and its one-line
 * description for the command's summary.
 */
public final class SamplerChoice {

    private SamplerChoice() {}

    /**
     * The settings for {@code kind}; {@code steps} and {@code eta} are null when not given ({@code defaultSteps} and
     * 0), {@code spacing} null for the solver's default.
     */
    public static SamplerSettings settings(SamplerKind kind, Integer steps, Double eta, String spacing, int timesteps,
            int defaultSteps) {
        double etaGiven = eta != null ? eta : 0;
        if (kind == SamplerKind.DDPM) {
            if (steps != null && steps != timesteps) {
                throw new IllegalArgumentException("DDPM takes all " + timesteps + " steps of this model; drop --steps or use --sampler ddim");
            }
            if (etaGiven != 0) {
                throw new IllegalArgumentException("--eta applies to DDIM only");
            }
            if (spacing != null) {
                throw new IllegalArgumentException("--spacing applies to dpmpp-2m and unipc only");
            }
            return SamplerSettings.ddpm(timesteps);
        }
        if (!kind.takesEta() && etaGiven != 0) {
            throw new IllegalArgumentException("--eta applies to DDIM only; " + kind.id() + " is deterministic");
        }
        if (!kind.multistep() && spacing != null) {
            throw new IllegalArgumentException("--spacing applies to dpmpp-2m and unipc only; ddim runs on its own grid");
        }
        TimestepSpacing chosen = spacing == null ? null : TimestepSpacing.parse(spacing);
        return new SamplerSettings(kind, steps != null ? steps : defaultSteps, etaGiven, chosen);
    }

    /** {@code DDIM-25 eta 0.0}, {@code UniPC-10 trailing} or {@code DDPM-500}. */
    public static String describe(SamplerSettings s) {
        String name = s.kind().displayName() + "-" + s.steps();
        return s.kind() == SamplerKind.DDIM ? name + " eta " + s.eta()
                : s.kind().multistep() ? name + " " + s.spacing().id() : name;
    }
}
