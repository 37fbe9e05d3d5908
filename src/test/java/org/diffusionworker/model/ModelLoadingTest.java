package org.diffusionworker.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.diffusionworker.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelLoadingTest {

    @TempDir
    Path temp;

    @Test
    void parameterNamesAndShapesMatchTheSeedsDumpForItsVariant() throws IOException {
        // The seed's variant: in_channels 3, n_feat 256, n_cfeat 10, height 28.
        List<String> expected = new ArrayList<>();
        for (String line : Files.readAllLines(Fixtures.dir("rgb16").getParent().resolve("seed-variant-parameters.txt"))) {
            if (!line.isBlank() && !line.contains("num_batches_tracked")) {
                expected.add(line.trim());
            }
        }
        ContextUnet network = ContextUnet.builder().setConfig(new ContextUnetConfig(3, 256, 10, 28)).build();
        try (NDManager m = NDManager.newBaseManager()) {
            network.initialize(m, DataType.FLOAT32, network.inputShapes(1));
            List<String> actual = new ArrayList<>();
            for (Map.Entry<String, Parameter> e : SeedParameterNames.of(network).entrySet()) {
                long[] dims = e.getValue().getArray().getShape().getShape();
                StringBuilder line = new StringBuilder(e.getKey()).append(' ');
                for (int i = 0; i < dims.length; i++) {
                    line.append(i == 0 ? "" : ",").append(dims[i]);
                }
                actual.add(line.toString());
            }
            assertEquals(expected, actual);
            assertTrue(actual.contains("up0.0.weight 512,512,7,7"));
        }
    }

    @Test
    void stateDictOfAnotherArchitectureFailsNamingParameterAndShapes() {
        ModelSpec rgb = Fixtures.spec("rgb16");
        ModelSpec wider = new ModelSpec(rgb.name(), new ModelSpec.Architecture("ContextUnet", 3, 64, 5, 16), rgb.labels(),
                rgb.schedule(), rgb.pixelRange(), rgb.provenance(), null, null);
        InvalidModelException e = assertThrows(InvalidModelException.class,
                () -> ModelLoader.fromStateDict(Fixtures.stateDict("rgb16"), wider, Device.cpu()));
        assertTrue(e.getMessage().contains("parameter 'init_conv.conv1.0.weight'"), e.getMessage());
        assertTrue(e.getMessage().contains("(32, 3, 3, 3)") && e.getMessage().contains("(64, 3, 3, 3)"), e.getMessage());
    }

    @Test
    void modelDirectoryRoundTripsThroughDjlParameters() {
        Path dir = temp.resolve("model");
        try (LoadedModel imported = ModelLoader.fromStateDict(Fixtures.stateDict("gray28"), Fixtures.spec("gray28"), Device.cpu())) {
            ModelSpec written = ModelDirectory.write(dir, imported.spec(), imported);
            assertEquals(64, written.weights().sha256().length());
            try (LoadedModel reloaded = ModelLoader.fromDirectory(dir, Device.cpu());
                    NDManager m = reloaded.manager().newSubManager()) {
                Map<String, NDArray> f = Fixtures.arrays(m, "gray28", "forward.npz");
                NDArray eps = reloaded.predictNoise(f.get("x"), f.get("t").reshape(-1), f.get("c"));
                assertTrue(Fixtures.maxAbsDiff(eps, f.get("eps")) < 1e-4f);
                assertEquals(written.weights().sha256(), reloaded.weightsSha256());
            }
        }
    }

    @Test
    void tamperedWeightFileIsRejectedByItsHash() throws IOException {
        Path dir = temp.resolve("model");
        try (LoadedModel model = ModelLoader.randomlyInitialised(Fixtures.spec("gray28"), 1, Device.cpu())) {
            ModelDirectory.write(dir, model.spec(), model);
        }
        Path weights = dir.resolve(ModelDirectory.DEFAULT_WEIGHTS);
        byte[] bytes = Files.readAllBytes(weights);
        bytes[bytes.length - 1] ^= 1;
        Files.write(weights, bytes);
        InvalidModelException e = assertThrows(InvalidModelException.class, () -> ModelLoader.fromDirectory(dir, Device.cpu()));
        assertTrue(e.getMessage().contains("SHA-256"), e.getMessage());
    }

    @Test
    void directoryWithoutCardIsRejectedClearly() {
        InvalidModelException e = assertThrows(InvalidModelException.class, () -> ModelLoader.fromDirectory(temp, Device.cpu()));
        assertTrue(e.getMessage().contains("no model card"), e.getMessage());
    }

    @Test
    void invalidArchitectureValuesAreNamed() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new ContextUnetConfig(3, 64, 5, 18))
                .getMessage().contains("height"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new ContextUnetConfig(3, 60, 5, 16))
                .getMessage().contains("nFeat"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new ContextUnetConfig(0, 64, 5, 16))
                .getMessage().contains("inChannels"));
    }

    @Test
    void malformedCardNamesTheProblem() throws IOException {
        Path card = temp.resolve("model.json");
        Files.writeString(card, """
                {"name": "x", "architecture": {"type": "ContextUnet", "inChannels": 1, "nFeat": 16, "nCfeat": 2, "height": 28},
                 "labels": ["a"], "schedule": {"timesteps": 500, "beta1": 0.0001, "beta2": 0.02}}""");
        InvalidModelException e = assertThrows(InvalidModelException.class, () -> ModelCards.read(card));
        assertTrue(e.getMessage().contains("'labels' must list 2 names"), e.getMessage());
    }
}
