package org.diffusionworker.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Map;
import org.diffusionworker.testing.Fixtures;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The Java network reproduces the PyTorch original's output for the same weights and inputs. */
@Tag("native-memory")
class ContextUnetParityTest {

    private static final float FORWARD_TOLERANCE = 1e-4f;

    @ParameterizedTest
    @ValueSource(strings = {"rgb16", "gray28"})
    void nativeNetworkWithImportedStateDictMatchesPyTorchOutput(String config) {
        try (LoadedModel model = ModelLoader.fromStateDict(Fixtures.stateDict(config), Fixtures.spec(config), Device.cpu());
                NDManager manager = model.manager().newSubManager()) {
            Map<String, NDArray> f = Fixtures.arrays(manager, config, "forward.npz");
            NDArray eps = model.predictNoise(f.get("x"), f.get("t").reshape(-1), f.get("c"));
            float diff = Fixtures.maxAbsDiff(eps, f.get("eps"));
            assertTrue(diff < FORWARD_TOLERANCE, "max |java - torch| = " + diff);
            // The comparison is meaningful only if the output is not trivially small.
            assertTrue(f.get("eps").abs().max().getFloat() > 0.1f);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"rgb16", "gray28"})
    void torchScriptPathAgreesWithNativePath(String config) {
        try (LoadedModel torchScript = ModelLoader.fromTorchScript(Fixtures.torchScript(config), Fixtures.spec(config), Device.cpu());
                LoadedModel nativeModel = ModelLoader.fromStateDict(Fixtures.stateDict(config), Fixtures.spec(config), Device.cpu());
                NDManager manager = nativeModel.manager().newSubManager()) {
            Map<String, NDArray> f = Fixtures.arrays(manager, config, "forward.npz");
            NDArray t = f.get("t").reshape(-1);
            NDArray viaScript = torchScript.predictNoise(f.get("x"), t, f.get("c"));
            NDArray viaNative = nativeModel.predictNoise(f.get("x"), t, f.get("c"));
            assertEquals(f.get("eps").getShape(), viaScript.getShape());
            float diff = Fixtures.maxAbsDiff(viaScript, viaNative);
            assertTrue(diff < FORWARD_TOLERANCE, "max |torchscript - native| = " + diff);
        }
    }
}
