package org.diffusionworker.worker;

import org.diffusionworker.diffusion.ClassifierFreeGuidance;
import org.diffusionworker.diffusion.SamplerKind;

/**
 * How a request's images are to be sampled, as the producer asked (the worker's defaults not yet applied: it resolves
 * them for its model and settings in {@link RequestResolver}). The constructor checks what holds whatever the model and
 * configuration; a violation throws {@link RequestRejectedException} with {@link ErrorCode#INVALID_REQUEST}.
 *
 * @param sampler  DDIM, DDPM, DPM-Solver++(2M) or UniPC; null for the preset's (DDIM when eta is given)
 * @param steps    steps; null for the preset's (DDPM always takes the model's T)
 * @param preset   what a request without {@code sampler} or {@code steps} gets; null for {@link SamplingPreset#STANDARD}
 * @param eta      DDIM eta in [0, 1] (0 for the other samplers)
 * @param guidance classifier-free guidance weight in [0, {@link ClassifierFreeGuidance#MAX_WEIGHT}]
 * @param seed     the seed; null to let the worker draw one (and report it)
 */
public record SamplingParameters(
        SamplerKind sampler, Integer steps, SamplingPreset preset, double eta, double guidance, Long seed) {

    /** A request that names none of them: the standard preset's sampler and steps, no guidance, a drawn seed. */
    public static final SamplingParameters DEFAULT = new SamplingParameters(null, null, SamplingPreset.STANDARD, 0, 0,
            null);

    public SamplingParameters {
        if (steps != null && steps < 1) {
            throw invalid("steps must be at least 1, got " + steps);
        }
        preset = preset == null ? SamplingPreset.STANDARD : preset;
        if (preset == SamplingPreset.FAST && sampler == SamplerKind.DDPM) {
            throw invalid("preset \"fast\" is a sampler with few steps; ddpm always takes all of the model's steps");
        }
        if (sampler != null && !sampler.takesEta() && eta != 0) {
            throw invalid("eta applies to DDIM only; leave it out (or 0) for " + sampler.id());
        }
        if (!(eta >= 0 && eta <= 1)) {
            throw invalid("eta must be in [0, 1], got " + eta);
        }
        if (!(guidance >= 0 && guidance <= ClassifierFreeGuidance.MAX_WEIGHT)) {
            throw invalid("guidance must be in [0, " + ClassifierFreeGuidance.MAX_WEIGHT + "], got " + guidance);
        }
        if (seed != null && seed < 0) {
            throw invalid("seed must be a non-negative integer, got " + seed);
        }
    }

    private static RequestRejectedException invalid(String message) {
        return new RequestRejectedException(ErrorCode.INVALID_REQUEST, message);
    }
}
