package org.diffusionworker.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code export-state-dict} then {@code import-weights} gives back the same model: every name, every value. */
@Tag("native-memory")
class StateDictExportTest {

    @TempDir
    Path temp;

    @Test
    void aModelDirectoryRoundTripsThroughItsStateDict() throws Exception {
        Path directory = Path.of("src/test/resources/models/random-gray28");
        Path npz = temp.resolve("state_dict.npz");
        ModelDirectory.writeStateDict(directory, npz);
        try (LoadedModel original = ModelLoader.fromDirectory(directory, Device.cpu());
                LoadedModel reread = ModelLoader.fromStateDict(npz, original.spec(), Device.cpu());
                NDManager m = NDManager.newBaseManager()) {
            DjlRuntime.seed(2);
            NDArray x = m.randomNormal(new Shape(3, 1, 28, 28));
            NDArray t = m.create(new float[] {0.9f, 0.4f, 0.1f});
            NDArray c = m.zeros(new Shape(3, 10));
            assertArrayEquals(original.predictNoise(x, t, c).toFloatArray(),
                    reread.predictNoise(x, t, c).toFloatArray());
        }
        try (NDManager m = NDManager.newBaseManager()) {
            ContextUnet network = ModelLoader.trainableNetwork(directory, m);
            NDList arrays = NDList.decode(m, Files.readAllBytes(npz));
            assertEquals(SeedParameterNames.of(network).keySet(),
                    new HashSet<>(arrays.stream().map(NDArray::getName).toList()));
        }
    }
}
