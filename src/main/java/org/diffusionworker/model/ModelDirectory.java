package org.diffusionworker.model;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDArray;
import ai.djl.nn.Block;
import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The layout of a model directory: {@code model.json} (the card) beside the weight file it names
 * ({@code contextunet.params}, DJL's parameter format, by default).
 */
public final class ModelDirectory {

    public static final String CARD = "model.json";
    public static final String DEFAULT_WEIGHTS = "contextunet.params";
    public static final String DJL_FORMAT = "djl-params";

    private ModelDirectory() {}

    public static Path cardFile(Path directory) {
        return directory.resolve(CARD);
    }

    static Path weightsFile(Path directory, ModelSpec spec) {
        String file = spec.weights() != null && spec.weights().file() != null ? spec.weights().file() : DEFAULT_WEIGHTS;
        Path weights = directory.resolve(file).normalize();
        if (!weights.startsWith(directory.normalize())) {
            throw new InvalidModelException("model card names a weight file outside its directory: " + file);
        }
        if (!Files.isRegularFile(weights)) {
            throw new InvalidModelException("weight file " + weights + " named by the model card does not exist");
        }
        return weights;
    }

    /**
     * Writes {@code model}'s weights in DJL's format and its card, with the weights' SHA-256,
     * into {@code directory}. Returns the card as written.
     */
    public static ModelSpec write(Path directory, ModelSpec spec, LoadedModel model) {
        if (!(model instanceof NativeContextUnetModel nativeModel)) {
            throw new IllegalArgumentException("only the Java ContextUnet can be saved as DJL parameters");
        }
        return write(directory, spec, nativeModel.network());
    }

    /** Writes a network's weights and card; see {@link #write(Path, ModelSpec, LoadedModel)}. */
    public static ModelSpec write(Path directory, ModelSpec spec, Block network) {
        Path weights = directory.resolve(DEFAULT_WEIGHTS);
        try {
            Files.createDirectories(directory);
            // Write then move, so a reader (or a kill mid-write) never sees half a weight file.
            Path partial = directory.resolve(DEFAULT_WEIGHTS + ".partial");
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(partial));
                    DataOutputStream data = new DataOutputStream(out)) {
                network.saveParameters(data);
            }
            Files.move(partial, weights, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write weights to " + weights, e);
        }
        ModelSpec written = spec.withWeights(new ModelSpec.Weights(DEFAULT_WEIGHTS, DJL_FORMAT, WeightHashes.sha256(weights)));
        ModelCards.write(written, cardFile(directory));
        return written;
    }

    /**
     * Writes the weights of the model directory {@code directory} as a PyTorch-style state dict ({@code .npz}, the
     * seed's parameter names, BatchNorm statistics included): what {@code import-weights} reads back, and what
     * tools/reference/export_torchscript.py turns into a TorchScript model.
     */
    public static void writeStateDict(Path directory, Path npz) throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            ContextUnet network = ModelLoader.trainableNetwork(directory, manager);
            NDList arrays = new NDList();
            SeedParameterNames.of(network).forEach((name, parameter) -> {
                NDArray copy = parameter.getArray().duplicate();
                copy.setName(name);
                arrays.add(copy);
            });
            Path parent = npz.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(npz))) {
                arrays.encode(out, NDList.Encoding.NPZ);
            }
        }
    }
}
