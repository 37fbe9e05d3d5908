package org.diffusionworker.model;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * Loads a ContextUnet three ways: (a) a model directory written by this project (card + DJL
 * parameters), (b) a PyTorch {@code state_dict} saved as {@code .npz} under the seed's names,
 * (c) a TorchScript module traced from PyTorch.
 *
 * <p>Weights of the wrong architecture fail with the parameter named and both shapes.
 */
public final class ModelLoader {

    private static final System.Logger LOG = System.getLogger(ModelLoader.class.getName());
    /** How tools/reference/export_torchscript.py begins {@code provenance.precision} of a packed export. */
    static final String PACKED_PRECISION = "fp32-packed";

    private ModelLoader() {}

    /** A network with freshly initialised weights, seeded; for training and tests. */
    public static LoadedModel randomlyInitialised(ModelSpec spec, int seed, Device device) {
        DjlRuntime.seed(seed);
        NDManager manager = NDManager.newBaseManager(device);
        return new NativeContextUnetModel(spec, trainableNetwork(spec, seed, manager), manager, "random-init:seed=" + seed);
    }

    /**
     * A network with freshly initialised weights, seeded, whose parameters can be trained. Its
     * arrays live in {@code manager}, which the caller owns.
     */
    public static ContextUnet trainableNetwork(ModelSpec spec, int seed, NDManager manager) {
        DjlRuntime.seed(seed);
        ContextUnet network = initialised(spec, manager);
        TorchDefaultInitialisation.apply(network);
        return network;
    }

    /**
     * The network of a model directory (card + DJL parameters, as {@link ModelDirectory#write}
     * leaves it), weights checked against the card's hash, parameters trainable: for resuming or
     * continuing a training run. Its arrays live in {@code manager}, which the caller owns.
     */
    public static ContextUnet trainableNetwork(Path directory, NDManager manager) {
        ModelSpec spec = card(directory);
        ContextUnet network = readDjlParameters(spec, ModelDirectory.weightsFile(directory, spec), manager).network();
        requireGradients(network);
        return network;
    }

    /**
     * A network for {@code spec} with the weights of a PyTorch state dict ({@code .npz}, seed
     * names), parameters trainable: for fine-tuning PyTorch weights and for the training parity
     * tests. Its arrays live in {@code manager}, which the caller owns.
     */
    public static ContextUnet trainableNetwork(Path stateDict, ModelSpec spec, NDManager manager) {
        ContextUnet network = initialised(spec, manager);
        try (NDManager scratch = manager.newSubManager();
                InputStream in = new BufferedInputStream(Files.newInputStream(stateDict))) {
            assign(stateDict, network, NDList.decode(scratch, in));
        } catch (IOException e) {
            throw new InvalidModelException("cannot read state dict " + stateDict + ": " + e.getMessage(), e);
        }
        requireGradients(network);
        return network;
    }

    private static void requireGradients(ContextUnet network) {
        // Arrays decoded or overwritten from a file do not record gradients until told to.
        network.getParameters().values().stream()
                .filter(Parameter::requiresGradient)
                .forEach(p -> p.getArray().setRequiresGradient(true));
    }

    /** (a) A directory holding {@code model.json} and the weight file the card names. */
    public static LoadedModel fromDirectory(Path directory, Device device) {
        ModelSpec spec = card(directory);
        Path weights = ModelDirectory.weightsFile(directory, spec);
        if (weights.getFileName().toString().endsWith(".npz")) {
            return fromStateDict(weights, spec, device, WeightHashes.verify(weights, spec.weights()));
        }
        if (weights.getFileName().toString().endsWith(".pt")) {
            // A TorchScript export (tools/reference/export_torchscript.py), e.g. bf16 inside with fp32 at its edges.
            WeightHashes.verify(weights, spec.weights());
            return fromTorchScript(weights, spec, device);
        }
        NDManager manager = NDManager.newBaseManager(device);
        try {
            DirectoryWeights read = readDjlParameters(spec, weights, manager);
            return new NativeContextUnetModel(read.spec(), read.network(), manager, read.sha256());
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    private static ModelSpec card(Path directory) {
        Path cardFile = ModelDirectory.cardFile(directory);
        if (!Files.isRegularFile(cardFile)) {
            throw new InvalidModelException("no model card at " + cardFile + " (is " + directory + " a model directory?)");
        }
        return ModelCards.read(cardFile);
    }

    /** DJL parameters for {@code spec}, hash and shapes checked, arrays in {@code manager}. */
    private static DirectoryWeights readDjlParameters(ModelSpec spec, Path weights, NDManager manager) {
        String sha = WeightHashes.verify(weights, spec.weights());
        if (weights.getFileName().toString().endsWith(".npz")) {
            throw new InvalidModelException("expected DJL parameters, found a state dict: " + weights);
        }
        try (InputStream in = new BufferedInputStream(Files.newInputStream(weights))) {
            ContextUnet network = initialised(spec, manager);
            Map<String, Shape> expected = shapes(network);
            // loadParameters replaces the initial arrays; free them rather than keep a second copy.
            List<NDArray> initial = new ArrayList<>();
            network.getParameters().values().forEach(p -> initial.add(p.getArray()));
            network.loadParameters(manager, new DataInputStream(in));
            checkShapes(weights, expected, network);
            initial.forEach(NDArray::close);
            return new DirectoryWeights(spec, network, sha);
        } catch (IOException | MalformedModelException | RuntimeException e) {
            if (e instanceof InvalidModelException invalid) {
                throw invalid;
            }
            throw new InvalidModelException("cannot load DJL parameters " + weights + ": " + e.getMessage(), e);
        }
    }

    private record DirectoryWeights(ModelSpec spec, ContextUnet network, String sha256) {}

    /** (b) A PyTorch state dict saved with {@code numpy.savez}, keyed by the seed's names. */
    public static LoadedModel fromStateDict(Path npz, ModelSpec spec, Device device) {
        return fromStateDict(npz, spec, device, WeightHashes.sha256(npz));
    }

    private static LoadedModel fromStateDict(Path npz, ModelSpec spec, Device device, String sha) {
        NDManager manager = NDManager.newBaseManager(device);
        try {
            ContextUnet network = initialised(spec, manager);
            try (NDManager scratch = manager.newSubManager();
                    InputStream in = new BufferedInputStream(Files.newInputStream(npz))) {
                NDList arrays = NDList.decode(scratch, in);
                assign(npz, network, arrays);
            }
            return new NativeContextUnetModel(spec, network, manager, sha);
        } catch (IOException | RuntimeException e) {
            manager.close();
            if (e instanceof InvalidModelException invalid) {
                throw invalid;
            }
            throw new InvalidModelException("cannot read state dict " + npz + ": " + e.getMessage(), e);
        }
    }

    /** (c) A TorchScript file traced from the PyTorch ContextUnet with inputs (x, t, c). */
    public static LoadedModel fromTorchScript(Path file, ModelSpec spec, Device device) {
        if (!Files.isRegularFile(file)) {
            throw new InvalidModelException("no TorchScript file at " + file);
        }
        cpuOnlyRefusal(spec, device).ifPresent(why -> {
            throw new InvalidModelException(why);
        });
        DjlRuntime.engine();
        Model model = Model.newInstance(spec.name(), device, "PyTorch");
        try {
            model.load(file.toAbsolutePath());
        } catch (IOException | MalformedModelException | RuntimeException e) {
            model.close();
            throw new InvalidModelException("cannot load TorchScript " + file + ": " + e.getMessage(), e);
        }
        bf16Warning(spec, CpuFeatures.usableBf16Flags()).ifPresent(w -> LOG.log(System.Logger.Level.WARNING, w));
        return new TorchScriptContextUnetModel(spec, model, WeightHashes.sha256(file));
    }

    /**
     * Why a model cannot run on {@code device}, if it cannot: an export whose card says {@code fp32-packed} (its
     * convolution weights are prepacked for oneDNN, which libtorch runs on the CPU only; on a GPU it would fail inside
     * libtorch at load with an opaque message).
     */
    static Optional<String> cpuOnlyRefusal(ModelSpec spec, Device device) {
        String precision = spec.provenance().getOrDefault("precision", "");
        if (!precision.startsWith(PACKED_PRECISION)) {
            return Optional.empty();
        }
        if (Device.Type.CPU.equals(device.getDeviceType())) {
            return OneDnnGuard.packedRefusal(spec.name());
        }
        return Optional.of("model " + spec.name() + " is an fp32-packed export (convolution weights prepacked for"
                + " oneDNN), which runs on the CPU only, not on " + device + "; serve the model it was exported from"
                + " (the same weights) there");
    }

    /**
     * A warning when a model declares bf16 arithmetic (its card's {@code provenance.precision}, as
     * tools/reference/export_torchscript.py writes it) and oneDNN has no bf16 units to use (none on this CPU, or
     * {@code ONEDNN_MAX_CPU_ISA} caps it below them): oneDNN then emulates bf16 and
     * the export runs slower than the fp32 model it came from. Nothing when the CPU's flags cannot be read.
     */
    static Optional<String> bf16Warning(ModelSpec spec, Optional<List<String>> cpuBf16Flags) {
        String precision = spec.provenance().getOrDefault("precision", "");
        if (!precision.startsWith("bf16") || cpuBf16Flags.isEmpty() || !cpuBf16Flags.get().isEmpty()) {
            return Optional.empty();
        }
        return Optional.of("model " + spec.name() + " runs bf16 arithmetic, but oneDNN has none of the bf16 units it"
                + " uses (" + String.join(", ", CpuFeatures.BF16_FLAGS) + ") here, on this CPU or under"
                + " ONEDNN_MAX_CPU_ISA: it emulates them, and"
                + " this export runs slower than the fp32 model it was made from; serve the fp32 model on this CPU"
                + " (docs/performance.md, Reduced precision)");
    }

    private static ContextUnet initialised(ModelSpec spec, NDManager manager) {
        DjlRuntime.engine();
        ContextUnet network = ContextUnet.builder().setConfig(spec.config()).build();
        network.initialize(manager, DataType.FLOAT32, network.inputShapes(1));
        return network;
    }

    private static Map<String, Shape> shapes(ContextUnet network) {
        Map<String, Shape> shapes = new java.util.LinkedHashMap<>();
        SeedParameterNames.of(network).forEach((name, p) -> shapes.put(name, p.getArray().getShape()));
        return shapes;
    }

    private static void checkShapes(Path source, Map<String, Shape> expected, ContextUnet network) {
        for (Map.Entry<String, Parameter> e : SeedParameterNames.of(network).entrySet()) {
            Shape want = expected.get(e.getKey());
            Shape got = e.getValue().getArray().getShape();
            if (!want.equals(got)) {
                throw new InvalidModelException(mismatch(source, e.getKey(), want, got));
            }
        }
    }

    /** Copies every state-dict entry into the parameter of the same seed name. */
    private static void assign(Path source, ContextUnet network, NDList arrays) {
        Map<String, Parameter> params = SeedParameterNames.of(network);
        Map<String, NDArray> byName = new java.util.HashMap<>();
        for (NDArray a : arrays) {
            byName.put(a.getName(), a);
        }
        List<String> missing = new ArrayList<>();
        for (Map.Entry<String, Parameter> e : params.entrySet()) {
            NDArray loaded = byName.remove(e.getKey());
            if (loaded == null) {
                missing.add(e.getKey());
                continue;
            }
            NDArray target = e.getValue().getArray();
            if (!target.getShape().equals(loaded.getShape())) {
                throw new InvalidModelException(mismatch(source, e.getKey(), target.getShape(), loaded.getShape()));
            }
            loaded.toType(DataType.FLOAT32, false).copyTo(target);
        }
        if (!missing.isEmpty()) {
            throw new InvalidModelException(source + " lacks " + missing.size() + " parameter(s) of this architecture: "
                    + String.join(", ", missing.subList(0, Math.min(8, missing.size())))
                    + (missing.size() > 8 ? ", ..." : ""));
        }
        // BatchNorm's step counter has no use at inference; anything else left over is a mismatch.
        byName.keySet().removeIf(k -> k.endsWith(".num_batches_tracked"));
        if (!byName.isEmpty()) {
            throw new InvalidModelException(source + " has parameter(s) this architecture does not: "
                    + new TreeSet<>(byName.keySet()));
        }
    }

    private static String mismatch(Path source, String name, Shape expected, Shape actual) {
        return "parameter '" + name + "' in " + source + " has shape " + actual + " but the model card's architecture"
                + " expects " + expected;
    }
}
