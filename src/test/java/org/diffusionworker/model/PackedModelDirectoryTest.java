package org.diffusionworker.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The shipped packed export (models/fashion-mnist-packed: fp32 TorchScript with BatchNorm folded and the convolution
 * weights in oneDNN's layout, reordered by libtorch when it loads the module) predicts the fp32 model's noise to fp32's
 * precision, at batch 1 and at a batch of several labels, steps and conditionings. The reorder and the blocked-layout
 * kernels are CPU-specific code in libtorch; tagged native-memory so that the poisoned-memory runs (one of them on
 * oneDNN's SSE4.1 path) repeat it.
 */
@Tag("native-memory")
class PackedModelDirectoryTest {

    private static final Path FP32 = Path.of("models/fashion-mnist");
    private static final Path PACKED = Path.of("models/fashion-mnist-packed");

    @Test
    void isRefusedByNameOffTheCpu() {
        ModelSpec packed = ModelCards.read(ModelDirectory.cardFile(PACKED));
        String why = ModelLoader.cpuOnlyRefusal(packed, Device.gpu(0)).orElseThrow();
        assertTrue(why.contains("fp32-packed") && why.contains("CPU only") && why.contains("gpu(0)"), why);
        InvalidModelException e = assertThrows(InvalidModelException.class,
                () -> ModelLoader.fromDirectory(PACKED, Device.gpu(0)).close());
        assertEquals(why, e.getMessage());
        assertEquals(OneDnnGuard.packedRefusal(packed.name()), ModelLoader.cpuOnlyRefusal(packed, Device.cpu()),
                "on the CPU: refused only where the CPU hides its cache sizes");
        ModelSpec fp32 = ModelCards.read(ModelDirectory.cardFile(FP32));
        assertEquals(Optional.empty(), ModelLoader.cpuOnlyRefusal(fp32, Device.gpu(0)), "plain fp32 runs anywhere");
    }

    @Test
    void isRefusedOnACpuThatHidesItsCacheSizes() {
        assumeFalse(OneDnnGuard.cacheSizesKnown(), "this CPU reports its cache sizes: the packed export runs here");
        InvalidModelException e = assertThrows(InvalidModelException.class,
                () -> ModelLoader.fromDirectory(PACKED, Device.cpu()).close());
        assertTrue(e.getMessage().contains("reports no cache sizes") && e.getMessage().contains("fp32-packed"),
                e.getMessage());
    }

    @Test
    void predictsTheFp32ModelsNoiseToFp32Precision() {
        // Where oneDNN's sum primitive would divide by a zero cache size, the export is refused (test above).
        assumeTrue(OneDnnGuard.cacheSizesKnown(), "this CPU reports no cache sizes: the packed export is refused here"
                + " (oneDNN's sum primitive would kill the process), so its predictions cannot be compared");
        try (LoadedModel fp32 = ModelLoader.fromDirectory(FP32, Device.cpu());
                LoadedModel packed = ModelLoader.fromDirectory(PACKED, Device.cpu());
                NDManager m = NDManager.newBaseManager()) {
            assertEquals(fp32.spec().labels(), packed.spec().labels());
            assertEquals(fp32.spec().config(), packed.spec().config());
            DjlRuntime.seed(7);
            for (int batch : new int[] {1, 5}) {
                NDArray x = m.randomNormal(new Shape(batch, 1, 28, 28));
                float[] steps = {0.98f, 0.5f, 0.2f, 0.02f, 0.7f};
                NDArray t = m.create(Arrays.copyOf(steps, batch));
                NDArray c = m.zeros(new Shape(batch, 10));
                c.set(new NDIndex("0, 7"), 1f);
                if (batch > 1) {
                    c.set(new NDIndex("1, 0"), 0.6f);
                    c.set(new NDIndex("1, 3"), 0.4f);
                }
                float[] a = fp32.predictNoise(x, t, c).toFloatArray();
                float[] b = packed.predictNoise(x, t, c).toFloatArray();
                assertEquals(a.length, b.length);
                double maxDifference = 0;
                double maxMagnitude = 0;
                for (int i = 0; i < a.length; i++) {
                    maxDifference = Math.max(maxDifference, Math.abs(a[i] - b[i]));
                    maxMagnitude = Math.max(maxMagnitude, Math.abs(a[i]));
                }
                // Folding BatchNorm and another summation order in oneDNN's kernels move the last bits only; a wrong
                // weight, layout or fold moves whole units.
                assertTrue(maxMagnitude > 0.5, "batch " + batch + ": a real prediction, max |noise| " + maxMagnitude);
                assertTrue(maxDifference < 1e-4, "batch " + batch + ": max |fp32 - packed| = " + maxDifference);
            }
        }
    }
}
