package org.diffusionworker.model;

import ai.djl.ndarray.NDArray;

/** NDArray housekeeping shared by the blocks. */
final class BatchArrays {

    private BatchArrays() {}

    /**
     * Moves {@code derived} (e.g. a reshaped view of a parameter) into the manager of the batch
     * input {@code like}. DJL attaches a result to its first operand's manager; for a parameter
     * that is the model's long-lived manager, which would then grow with every forward pass.
     */
    static NDArray inManagerOf(NDArray like, NDArray derived) {
        derived.attach(like.getManager());
        return derived;
    }
}
