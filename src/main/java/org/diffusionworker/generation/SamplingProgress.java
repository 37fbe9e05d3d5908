package org.diffusionworker.generation;

/** Told after every sampling step; for progress bars and per-step timing. */
@FunctionalInterface
public interface SamplingProgress {

    SamplingProgress NONE = (done, total, stepNanos) -> {};

    void onStep(int done, int total, long stepNanos);
}
