package org.diffusionworker.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import java.util.function.Supplier;

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

    /**
     * A block's one input, which must be a batch {@code [B, channels, H, W]}; otherwise the error names the block
     * ({@code block}, made only then) and the shape it got.
     */
    static NDArray imageBatch(NDList inputs, long channels, Supplier<String> block) {
        NDArray x = inputs.singletonOrThrow();
        Shape shape = x.getShape();
        if (shape.dimension() != 4 || shape.get(1) != channels) {
            throw new IllegalArgumentException(block.get() + " expects [B, " + channels + ", H, W], got " + shape);
        }
        return x;
    }
}
