package org.diffusionworker.worker;

/**
 * Which waiting images may share a forward pass. Either way they must agree on sampler, steps, eta and guidance,
 * which fix the loop over timesteps; the network takes one context vector per image, so the context need not agree.
 */
public enum BatchingPolicy {
    /** Any contexts in one batch: fullest batches. The default, after docs/batching.md. */
    MIXED,
    /** Only images of the same context (label, mix or none) in one batch, as the original design had it. */
    BY_CONTEXT
}
