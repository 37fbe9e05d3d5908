package org.diffusionworker.cli;

import ai.djl.Device;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.diffusionworker.model.LoadedModel;
import org.diffusionworker.model.ModelCards;
import org.diffusionworker.model.ModelLoader;
import picocli.CommandLine.Option;

/**
 * Where the weights come from (a picocli mixin): a model directory, or a PyTorch state dict or
 * TorchScript file with its model card; the shipped model when none is named.
 */
final class ModelSource {

    /** The model a command uses when none is named. */
    static final Path DEFAULT_MODEL = Path.of("models", "fashion-mnist");

    @Option(names = "--model", paramLabel = "DIR",
            description = "Model directory (model.json + weights). Default: models/fashion-mnist.")
    Path directory;

    @Option(names = "--state-dict", paramLabel = "NPZ",
            description = "PyTorch state_dict saved with numpy.savez under the seed's parameter names (needs --spec).")
    Path stateDict;

    @Option(names = "--torchscript", paramLabel = "PT",
            description = "TorchScript module traced from PyTorch with inputs (x, t, c) (needs --spec).")
    Path torchScript;

    @Option(names = "--spec", paramLabel = "JSON", description = "Model card for --state-dict or --torchscript.")
    Path spec;

    @Option(names = "--device", paramLabel = "DEVICE", defaultValue = "auto",
            description = "cpu, gpu, gpu:N or auto (GPU when DJL finds one). Default: ${DEFAULT-VALUE}.")
    String device;

    /** Loads the chosen weights onto the chosen device. */
    LoadedModel load() {
        List<String> given = new ArrayList<>();
        if (directory != null) {
            given.add("--model");
        }
        if (stateDict != null) {
            given.add("--state-dict");
        }
        if (torchScript != null) {
            given.add("--torchscript");
        }
        if (given.size() > 1) {
            throw new IllegalArgumentException("choose one model source, got " + String.join(" and ", given));
        }
        Device target = org.diffusionworker.model.DjlRuntime.device(device);
        if (stateDict != null || torchScript != null) {
            if (spec == null) {
                throw new IllegalArgumentException(given.get(0) + " needs --spec JSON (the model card)");
            }
            return stateDict != null
                    ? ModelLoader.fromStateDict(stateDict, ModelCards.read(spec), target)
                    : ModelLoader.fromTorchScript(torchScript, ModelCards.read(spec), target);
        }
        if (spec != null) {
            throw new IllegalArgumentException("--spec goes with --state-dict or --torchscript; a model directory has its own card");
        }
        Path dir = directory != null ? directory : DEFAULT_MODEL;
        if (directory == null && !Files.isDirectory(dir)) {
            throw new IllegalArgumentException("no model given and the default " + dir + " does not exist here;"
                    + " pass --model DIR, --state-dict NPZ --spec JSON, or --torchscript PT --spec JSON");
        }
        return ModelLoader.fromDirectory(dir, target);
    }
}
