package org.diffusionworker.training.evaluation;

import java.util.List;
import org.diffusionworker.diffusion.ClassifierFreeGuidance;
import org.diffusionworker.diffusion.SamplerSettings;

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
}
