package org.diffusionworker.benchmark;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.diffusionworker.model.LoadedModel;
import org.diffusionworker.model.ModelLoader;
import org.diffusionworker.model.OneDnnGuard;
import org.diffusionworker.model.ModelSpec;

/**
 * The weights every side of the benchmark runs: PyTorch's default initialisation from seed 0,
 * made once per model by the reference ({@code bench_reference.py --export}) and loaded by the
 * Java side four times: as a state dict into its own blocks, as the traced TorchScript module, and
 * scripted in bf16 and in fp32 with its convolution weights prepacked ({@code export_torchscript.py}). The
 * reference rebuilds them from the same seed in every timed process; {@link #check} compares the
 * SHA-256 it reports with the export's. Without the reference, the Java blocks get the project's
 * seeded initialisation and there is no TorchScript module.
 */
final class BenchmarkWeights implements AutoCloseable {

    private static final String STATE_DICT = "state_dict.npz";
    private static final String TORCHSCRIPT = "contextunet.pt";

    private final ReferenceProcess reference;
    private final Path directory;
    private final Map<String, JsonNode> exports;

    private BenchmarkWeights(ReferenceProcess reference, Path directory, Map<String, JsonNode> exports) {
        this.reference = reference;
        this.directory = directory;
        this.exports = exports;
    }

    /** Exports the weights of each model through {@code reference}; none when it is null. */
    static BenchmarkWeights export(ReferenceProcess reference, Iterable<ModelSpec> models)
            throws IOException, InterruptedException {
        Map<String, JsonNode> exports = new LinkedHashMap<>();
        if (reference == null) {
            return new BenchmarkWeights(null, null, exports);
        }
        Path directory = Files.createTempDirectory("benchmark-weights");
        BenchmarkWeights weights = new BenchmarkWeights(reference, directory, exports);
        try {
            for (ModelSpec model : models) {
                if (!exports.containsKey(model.name())) {
                    exports.put(model.name(), reference.export(model.config(), directory.resolve(model.name())));
                }
            }
            return weights;
        } catch (IOException | InterruptedException | RuntimeException e) {
            weights.close();
            throw e;
        }
    }

    /** The reference's report of its first export: torch, threads, BLAS, OpenBLAS's variables. */
    Optional<JsonNode> referenceEnvironment() {
        return exports.values().stream().findFirst();
    }

    Optional<String> sha256(ModelSpec model) {
        return Optional.ofNullable(exports.get(model.name())).map(e -> e.get("weights_sha256").asText());
    }

    /** The state dict for the Java blocks, when the reference made one. */
    Optional<Path> stateDict(ModelSpec model) {
        return exports.containsKey(model.name()) ? Optional.of(folder(model).resolve(STATE_DICT)) : Optional.empty();
    }

    /** The network as the project's own blocks (what the worker runs). */
    LoadedModel blocks(ModelSpec model) {
        return stateDict(model).map(file -> ModelLoader.fromStateDict(file, model, Device.cpu()))
                .orElseGet(() -> ModelLoader.randomlyInitialised(model, 0, Device.cpu()));
    }

    /** The same network as one TorchScript graph, when the reference traced it. */
    Optional<LoadedModel> torchScript(ModelSpec model) {
        return exports.containsKey(model.name())
                ? Optional.of(ModelLoader.fromTorchScript(folder(model).resolve(TORCHSCRIPT), model, Device.cpu()))
                : Optional.empty();
    }

    /**
     * The same network scripted with bf16 weights and arithmetic inside, fp32 at its edges (what
     * {@code models/fashion-mnist-bf16} is), when the reference exported the weights. Scripted on
     * first use, so that a run of the training case alone does not make one.
     */
    Optional<LoadedModel> torchScriptBf16(ModelSpec model) throws IOException, InterruptedException {
        return scripted(model, "bf16");
    }

    /**
     * The same network scripted in fp32 with BatchNorm folded and the convolution weights in oneDNN's blocked layout,
     * reordered once at load instead of at every call ({@code export_torchscript.py --precision fp32-packed}).
     */
    Optional<LoadedModel> torchScriptPacked(ModelSpec model) throws IOException, InterruptedException {
        // Where the CPU hides its cache sizes oneDNN's sum primitive kills the process (OneDnnGuard): no column then.
        return OneDnnGuard.cacheSizesKnown() ? scripted(model, "fp32-packed") : Optional.empty();
    }

    private Optional<LoadedModel> scripted(ModelSpec model, String precision) throws IOException, InterruptedException {
        if (!exports.containsKey(model.name())) {
            return Optional.empty();
        }
        Path module = folder(model).resolve(precision).resolve("contextunet-" + precision + ".pt");
        if (!Files.isRegularFile(module)) {
            module = reference.exportScript(model.config(), folder(model).resolve(STATE_DICT), precision,
                    module.getParent());
        }
        return Optional.of(ModelLoader.fromTorchScript(module, model, Device.cpu()));
    }

    /** Fails when a reference run timed other weights than the exported ones. */
    void check(ModelSpec model, JsonNode run) {
        String expected = sha256(model).orElseThrow();
        String actual = run.get("weights_sha256").asText();
        if (!expected.equals(actual)) {
            throw new IllegalStateException("the reference timed weights " + actual + " for " + model.name()
                    + ", not the exported " + expected);
        }
    }

    private Path folder(ModelSpec model) {
        return directory.resolve(model.name());
    }

    @Override
    public void close() {
        if (directory == null) {
            return;
        }
        try (Stream<Path> files = Files.walk(directory)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + directory, e);
        }
    }
}
