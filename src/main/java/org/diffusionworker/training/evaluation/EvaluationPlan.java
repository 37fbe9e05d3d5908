package org.diffusionworker.training.evaluation;

import java.util.ArrayList;
import java.util.List;
import org.diffusionworker.diffusion.ClassifierFreeGuidance;
import org.diffusionworker.diffusion.SamplerKind;
import org.diffusionworker.diffusion.SamplerSettings;
import org.diffusionworker.diffusion.TimestepSpacing;

/**
 * What an evaluation scores: every sampler setting at every guidance weight, and DDPM as {@code ddpm}
 * says, with {@code samplesPerLabel} (DDPM: {@code ddpmSamplesPerLabel}) images per label seeded by
 * {@code seed}. Checked here, with the command's option names in the messages.
 */
public record EvaluationPlan(List<SamplerSettings> samplers, List<Double> guidance, DdpmChoice ddpm,
        int samplesPerLabel, int ddpmSamplesPerLabel, long seed) {

    public EvaluationPlan {
        if (samplesPerLabel < 2 || ddpmSamplesPerLabel < 2) {
            throw new IllegalArgumentException("--samples-per-label and --ddpm-samples-per-label must be >= 2");
        }
        if (guidance == null || guidance.isEmpty()) {
            throw new IllegalArgumentException("--guidance needs at least one weight");
        }
        guidance.forEach(ClassifierFreeGuidance::new);
        samplers = List.copyOf(samplers);
        guidance = List.copyOf(guidance);
    }

    /**
     * Every sampler of {@code samplers} at every number of {@code steps}, on {@code spacing} where given (null: each
     * solver's default); DDPM is refused here (it is {@code --ddpm}'s).
     */
    public static List<SamplerSettings> samplerSettings(List<String> samplers, List<Integer> steps, String spacing) {
        if (steps == null || steps.isEmpty() || samplers == null || samplers.isEmpty()) {
            throw new IllegalArgumentException("--sampler and --steps need at least one value each");
        }
        TimestepSpacing chosen = spacing == null ? null : TimestepSpacing.parse(spacing);
        List<SamplerSettings> all = new ArrayList<>();
        for (String name : samplers) {
            SamplerKind kind = SamplerKind.parse(name);
            if (!kind.takesSteps()) {
                throw new IllegalArgumentException("--sampler ddpm: DDPM always takes all T steps; use --ddpm");
            }
            for (int n : steps) {
                all.add(new SamplerSettings(kind, n, 0, kind.multistep() ? chosen : null));
            }
        }
        return all;
    }
}
