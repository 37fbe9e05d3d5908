package org.diffusionworker.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Gradients do not depend on what the garbage collector does between forward and backward. DJL's
 * {@code div(Number)} builds its scalar over a direct buffer that it releases right after the
 * forward op, while autograd keeps the divisor for backward; once the GC reclaims that buffer,
 * backward divided by whatever the memory then held.
 */
class ResidualConvBlockGradientTest {

    @Test
    void gradientsAreTheSameWhenTheGarbageCollectorRunsBeforeBackward() {
        DjlRuntime.seed(5);
        try (NDManager manager = NDManager.newBaseManager()) {
            ResidualConvBlock block = new ResidualConvBlock(2, 2, true);
            block.initialize(manager, DataType.FLOAT32, new Shape(2, 2, 4, 4));
            ParameterStore store = new ParameterStore(manager, false);
            NDArray weight = SeedParameterNames.of(block).get("conv1.0.weight").getArray();
            float[] quiet = gradient(block, store, manager, weight, false);
            for (int i = 0; i < 5; i++) {
                assertArrayEquals(quiet, gradient(block, store, manager, weight, true));
            }
        }
    }

    private static float[] gradient(ResidualConvBlock block, ParameterStore store, NDManager root, NDArray weight,
            boolean collectBeforeBackward) {
        try (NDManager batch = root.newSubManager()) {
            NDArray x = batch.arange(64f).reshape(2, 2, 4, 4).div(batch.create(64f));
            try (GradientCollector collector = batch.getEngine().newGradientCollector()) {
                NDArray y = block.forward(store, new NDList(x), true).singletonOrThrow();
                NDArray loss = y.square().sum();
                if (collectBeforeBackward) {
                    reclaimDirectMemory();
                }
                collector.backward(loss);
            }
            NDArray grad = weight.getGradient();
            float[] values = grad.toFloatArray();
            grad.subi(grad);
            grad.close();
            return values;
        }
    }

    /** Lets the GC free unreachable direct buffers, then fills fresh ones so freed memory is reused. */
    private static void reclaimDirectMemory() {
        List<ByteBuffer> filler = new ArrayList<>();
        for (int round = 0; round < 20; round++) {
            System.gc();
            for (int i = 0; i < 200; i++) {
                ByteBuffer buffer = ByteBuffer.allocateDirect(4).order(ByteOrder.nativeOrder());
                buffer.putFloat(0, 1e6f);
                filler.add(buffer);
            }
        }
        filler.clear();
    }
}
