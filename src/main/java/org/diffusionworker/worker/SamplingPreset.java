package org.diffusionworker.worker;

/**
 * A named speed/quality choice a request may make instead of a sampler and a number of steps; the worker's settings
 * say what each stands for ({@link WorkerSettings#fastSampler}, {@link WorkerSettings#fastSolverSteps},
 * {@link WorkerSettings#fastDdimSteps}), so one configuration change retunes every producer.
 */
public enum SamplingPreset {
    /** The worker's default sampler at its default steps. */
    STANDARD,
    /**
     * The sampler and the fewest steps measured to keep conditional accuracy and FD within 1 point / 10% of DDIM-25
     * (docs/performance.md); with {@code "sampler": "ddim"}, DDIM's fewest such steps.
     */
    FAST
}
