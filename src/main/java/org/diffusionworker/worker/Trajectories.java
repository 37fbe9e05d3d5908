package org.diffusionworker.worker;

import org.diffusionworker.diffusion.SamplerSettings;

/** How often a trajectory keeps a frame: about 25 frames whatever the step count, so GIFs stay small. */
final class Trajectories {

    static final int TARGET_FRAMES = 25;

    private Trajectories() {}

    static int every(SamplerSettings sampler) {
        return Math.max(1, (sampler.steps() + TARGET_FRAMES - 1) / TARGET_FRAMES);
    }
}
