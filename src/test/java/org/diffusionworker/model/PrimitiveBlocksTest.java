package org.diffusionworker.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import org.junit.jupiter.api.Test;

/** GroupNorm and the kernel == stride transposed convolution against hand-computed PyTorch values. */
class PrimitiveBlocksTest {

    @Test
    void groupNormNormalisesEachGroupThenAppliesPerChannelAffine() {
        try (NDManager m = NDManager.newBaseManager()) {
            GroupNormBlock norm = GroupNormBlock.builder().setGroups(2).setChannels(4).build();
            norm.initialize(m, DataType.FLOAT32, new Shape(1, 4, 1, 2));
            norm.getParameters().get("weight").getArray().set(new float[] {1, 2, 1, 1});
            norm.getParameters().get("bias").getArray().set(new float[] {0, 0, 0, 10});
            // Group 0 = channels 0,1 = {1, 3, 5, 7}: mean 4, biased variance 5.
            NDArray x = m.create(new float[] {1, 3, 5, 7, 2, 2, 2, 2}, new Shape(1, 4, 1, 2));
            float[] y = norm.forward(new ParameterStore(m, false), new NDList(x), false).singletonOrThrow().toFloatArray();
            float s = (float) Math.sqrt(5 + 1e-5);
            assertArrayEquals(new float[] {-3 / s, -1 / s, 2 * 1 / s, 2 * 3 / s, 0, 0, 10, 10}, y, 1e-5f);
        }
    }

    @Test
    void channelBuildersRefuseMissingChannelsByBlockNameBeforeTheirOwnSettings() {
        IllegalArgumentException down = assertThrows(IllegalArgumentException.class,
                () -> UnetDownBlock.builder().setInChannels(4).build());
        assertEquals("UnetDown channels must be >= 1, got in=4 out=0", down.getMessage());
        IllegalArgumentException both = assertThrows(IllegalArgumentException.class,
                () -> PatchConvTranspose2dBlock.builder().setOutChannels(2).build());
        assertEquals("ConvTranspose2d channels must be >= 1, got in=0 out=2", both.getMessage());
        IllegalArgumentException kernel = assertThrows(IllegalArgumentException.class,
                () -> PatchConvTranspose2dBlock.builder().setInChannels(2).setOutChannels(2).build());
        assertEquals("ConvTranspose2d kernel (= stride) must be >= 1, got 0", kernel.getMessage());
    }

    @Test
    void transposedConvolutionWithKernelEqualStrideScattersPatches() {
        try (NDManager m = NDManager.newBaseManager()) {
            PatchConvTranspose2dBlock up = PatchConvTranspose2dBlock.builder().setInChannels(2).setOutChannels(1).setKernel(2).build();
            up.initialize(m, DataType.FLOAT32, new Shape(1, 2, 1, 2));
            // weight [in=2, out=1, 2, 2]: channel 0 -> [[1,2],[3,4]], channel 1 -> [[10,20],[30,40]].
            up.getParameters().get("weight").getArray().set(new float[] {1, 2, 3, 4, 10, 20, 30, 40});
            up.getParameters().get("bias").getArray().set(new float[] {0.5f});
            // Input pixels: (c0, c1) = (1, 0) at x=0 and (0, 1) at x=1.
            NDArray x = m.create(new float[] {1, 0, 0, 1}, new Shape(1, 2, 1, 2));
            NDArray y = up.forward(new ParameterStore(m, false), new NDList(x), false).singletonOrThrow();
            assertEquals(new Shape(1, 1, 2, 4), y.getShape());
            assertArrayEquals(new float[] {1.5f, 2.5f, 10.5f, 20.5f, 3.5f, 4.5f, 30.5f, 40.5f}, y.toFloatArray(), 1e-6f);
        }
    }
}
