package org.diffusionworker.generation;

import java.util.List;
import org.diffusionworker.diffusion.ClassifierFreeGuidance;
import org.diffusionworker.diffusion.SamplerSettings;

/**
 * Images that share one forward pass per step: same sampler settings and guidance, any contexts.
 *
 * @param trajectoryEvery keep the batch's intermediate samples every this many steps (0: none)
 */
public record BatchPlan(
        SamplerSettings sampler, ClassifierFreeGuidance guidance, int trajectoryEvery, List<ImageSlot> images) {

    public BatchPlan {
        if (sampler == null || guidance == null) {
            throw new IllegalArgumentException("sampler settings and guidance are required");
        }
        if (trajectoryEvery < 0) {
            throw new IllegalArgumentException("trajectoryEvery must be >= 0, got " + trajectoryEvery);
        }
        if (images == null || images.isEmpty()) {
            throw new IllegalArgumentException("a batch needs at least one image");
        }
        images = List.copyOf(images);
    }

    public int size() {
        return images.size();
    }
}
