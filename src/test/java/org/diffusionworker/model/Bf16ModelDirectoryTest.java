package org.diffusionworker.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shipped bf16 export (models/fashion-mnist-bf16, a TorchScript module with bfloat16 inside and fp32 at its edges)
 * loads as a model directory and predicts what the fp32 model predicts, to bf16's precision: close, but not the
 * same numbers (so bf16 really runs inside).
 */
@Tag("native-memory")
class Bf16ModelDirectoryTest {

    private static final Path FP32 = Path.of("models/fashion-mnist");
    private static final Path BF16 = Path.of("models/fashion-mnist-bf16");

    @TempDir
    Path temp;

    @Test
    void predictsTheFp32ModelsNoiseToBf16Precision() {
        try (LoadedModel fp32 = ModelLoader.fromDirectory(FP32, Device.cpu());
                LoadedModel bf16 = ModelLoader.fromDirectory(BF16, Device.cpu());
                NDManager m = NDManager.newBaseManager()) {
            assertEquals(fp32.spec().labels(), bf16.spec().labels());
            DjlRuntime.seed(5);
            NDArray x = m.randomNormal(new Shape(4, 1, 28, 28));
            NDArray t = m.create(new float[] {0.9f, 0.5f, 0.2f, 0.02f});
            NDArray c = m.zeros(new Shape(4, 10));
            float[] a = fp32.predictNoise(x, t, c).toFloatArray();
            float[] b = bf16.predictNoise(x, t, c).toFloatArray();
            double difference = 0;
            double norm = 0;
            for (int i = 0; i < a.length; i++) {
                difference += (a[i] - b[i]) * (double) (a[i] - b[i]);
                norm += a[i] * (double) a[i];
            }
            double relative = Math.sqrt(difference / norm);
            // bf16 keeps 8 significant bits (0.4% per rounding); through ~30 layers the error stays near 1%.
            assertTrue(relative < 0.03, "relative error " + relative);
            assertTrue(relative > 1e-4, "bf16 and fp32 gave the same numbers: is bf16 running? " + relative);
        }
    }

    @Test
    void aTamperedExportIsRefused() throws Exception {
        Path copy = temp.resolve("bf16");
        Files.createDirectories(copy);
        Files.copy(BF16.resolve("model.json"), copy.resolve("model.json"));
        byte[] weights = Files.readAllBytes(BF16.resolve("contextunet-bf16.pt"));
        weights[weights.length / 2] ^= 1;
        Files.write(copy.resolve("contextunet-bf16.pt"), weights);
        InvalidModelException e = assertThrows(InvalidModelException.class,
                () -> ModelLoader.fromDirectory(copy, Device.cpu()).close());
        assertTrue(e.getMessage().contains("SHA-256") || e.getMessage().contains("sha256"), e.getMessage());
    }
}
