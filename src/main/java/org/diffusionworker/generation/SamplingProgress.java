package org.diffusionworker.generation;

import java.util.BitSet;

/**
 * The per-step hook of a batch: told after every sampling step (progress bars, per-step timing, progress events), and
 * asked before every step after the first which images leave the batch (canceled requests). Called on the inference
 * thread between two forward passes, so it must be quick.
 */
@FunctionalInterface
public interface SamplingProgress {

    SamplingProgress NONE = (done, total, stepNanos) -> {};

    void onStep(int done, int total, long stepNanos);

    /**
     * The plan's images (by index into {@link BatchPlan#images()}) that must not be sampled any further, all of them
     * so far, or null when none must: such images leave the batch before the next step and come back as
     * {@link GeneratedImages#left()}.
     */
    default BitSet leaving() {
        return null;
    }
}
