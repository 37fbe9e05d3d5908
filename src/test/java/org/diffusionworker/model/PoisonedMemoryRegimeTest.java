package org.diffusionworker.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Runs only in the poisoned-memory test runs (Maven profile poisoned-native-memory): proves that
 * the poison is really preloaded, so that those runs are not the plain run again in disguise.
 */
@Tag("poisoned-memory")
class PoisonedMemoryRegimeTest {

    @Test
    void nativeMemoryTheEngineHandsOutUnwrittenReadsAsNaN() {
        DjlRuntime.engine();
        try (NDManager manager = NDManager.newBaseManager()) {
            // create(shape) is torch.empty: native memory nobody has written.
            for (long size : new long[] {7, 4096, 1 << 20}) {
                float[] values = manager.create(new Shape(size)).toFloatArray();
                for (float v : values) {
                    assertTrue(Float.isNaN(v), "an unwritten array of " + size + " floats holds " + v
                            + ": is LD_PRELOAD=" + System.getenv("LD_PRELOAD") + " in effect?");
                }
            }
        }
    }
}
