package org.diffusionworker.training.evaluation;

import java.util.Locale;
import org.diffusionworker.diffusion.ClassifierFreeGuidance;
import org.diffusionworker.diffusion.SamplerKind;
import org.diffusionworker.diffusion.SamplerSettings;

/**
 * One way of sampling to evaluate: a sampler, a guidance weight, and how many images per label.
 */
public record EvaluationSetting(SamplerSettings sampler, ClassifierFreeGuidance guidance, int samplesPerLabel) {

    public EvaluationSetting {
        if (sampler == null || guidance == null) {
            throw new IllegalArgumentException("an evaluation setting needs a sampler and a guidance weight");
        }
        if (samplesPerLabel < 2) {
            throw new IllegalArgumentException("samples per label must be >= 2 (a covariance needs two), got "
                    + samplesPerLabel);
        }
    }

    /** For tables: {@code DDIM-25, w=1}, {@code DPM++2M-10, w=0} or {@code DDPM-500, w=3}. */
    public String title() {
        return sampler.kind().displayName() + "-" + sampler.steps()
                + (sampler.kind() == SamplerKind.DDIM && sampler.eta() > 0 ? " eta=" + trim(sampler.eta()) : "")
                + (otherSpacing() ? " " + sampler.spacing().id() : "")
                + ", w=" + trim(guidance.weight());
    }

    /** For file names: {@code ddim25-w1}, {@code dpmpp-2m10-w0}. */
    public String fileStem() {
        return sampler.kind().id() + sampler.steps()
                + (sampler.kind() == SamplerKind.DDIM && sampler.eta() > 0 ? "-eta" + trim(sampler.eta()) : "")
                + (otherSpacing() ? "-" + sampler.spacing().id() : "")
                + "-w" + trim(guidance.weight());
    }

    private boolean otherSpacing() {
        return sampler.spacing() != sampler.kind().defaultSpacing(sampler.steps());
    }

    private static String trim(double value) {
        return value == Math.rint(value) ? Long.toString((long) value) : String.format(Locale.ROOT, "%s", value);
    }
}
