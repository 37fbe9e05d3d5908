package org.diffusionworker.testing;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.diffusionworker.model.ModelCards;
import org.diffusionworker.model.ModelSpec;

/** The PyTorch reference fixtures written by {@code tools/reference/make_fixtures.py} and {@code make_training_fixtures.py}. */
public final class Fixtures {

    private Fixtures() {}

    public static Path dir(String config) {
        try {
            return Path.of(Fixtures.class.getResource("/fixtures/" + config).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    public static ModelSpec spec(String config) {
        return ModelCards.read(dir(config).resolve("spec.json"));
    }

    public static Path stateDict(String config) {
        return dir(config).resolve("state_dict.npz");
    }

    public static Path torchScript(String config) {
        return dir(config).resolve("contextunet.pt");
    }

    /** The arrays of {@code <config>/<file>} by name, as float32 on {@code manager}. */
    public static Map<String, NDArray> arrays(NDManager manager, String config, String file) {
        try (InputStream in = Files.newInputStream(dir(config).resolve(file))) {
            Map<String, NDArray> byName = new HashMap<>();
            for (NDArray a : NDList.decode(manager, in)) {
                byName.put(a.getName(), a.getDataType() == DataType.INT64 ? a : a.toType(DataType.FLOAT32, false));
            }
            return byName;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The largest absolute element-wise difference. */
    public static float maxAbsDiff(NDArray a, NDArray b) {
        if (!a.getShape().equals(b.getShape())) {
            throw new AssertionError("shapes differ: " + a.getShape() + " vs " + b.getShape());
        }
        return a.sub(b).abs().max().getFloat();
    }
}
