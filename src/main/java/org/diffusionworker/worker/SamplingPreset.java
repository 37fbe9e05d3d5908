package org.diffusionworker.worker;

/**
 * A named speed/quality choice a request may make instead of a number of steps; the worker's settings say what
 * each stands for ({@link WorkerSettings#fastDdimSteps}), so one configuration change retunes every producer.
 */
public enum SamplingPreset {
    /** The worker's default DDIM steps. */
    STANDARD,
    /**
     * DDIM with the fewest steps measured to keep conditional accuracy and FD within 1 point / 10% of the default
     * (docs/performance.md).
     */
    FAST
}
