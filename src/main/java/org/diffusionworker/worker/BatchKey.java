package org.diffusionworker.worker;

import org.diffusionworker.diffusion.ClassifierFreeGuidance;
import org.diffusionworker.diffusion.SamplerSettings;

/**
 * What images must agree on to share a forward pass: the sampler settings (algorithm, steps, eta) fix the timesteps
 * and the guidance weight fixes the doubled batch; under {@link BatchingPolicy#BY_CONTEXT} also the context.
 *
 * @param context the canonical conditioning, or null when contexts may mix
 */
record BatchKey(SamplerSettings sampler, ClassifierFreeGuidance guidance, String context) {

    static BatchKey of(Job job, BatchingPolicy policy) {
        return new BatchKey(job.sampler(), job.guidance(), policy == BatchingPolicy.BY_CONTEXT ? job.contextKey() : null);
    }
}
