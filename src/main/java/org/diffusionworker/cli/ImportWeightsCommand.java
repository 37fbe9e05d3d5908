package org.diffusionworker.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.diffusionworker.model.LoadedModel;
import org.diffusionworker.model.ModelDirectory;
import org.diffusionworker.model.ModelSpec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code import-weights}: turns a PyTorch state dict (.npz) into a model directory the worker loads. */
@Command(name = "import-weights", mixinStandardHelpOptions = true,
        description = "Convert a PyTorch state dict (--state-dict NPZ --spec JSON) into a model directory.")
public class ImportWeightsCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    ModelSource source = new ModelSource();

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Model directory to write.")
    Path out;

    @Option(names = "--force", description = "Overwrite an existing model directory.")
    boolean force;

    @Override
    public Integer call() {
        if (source.stateDict == null) {
            throw new IllegalArgumentException("import-weights needs --state-dict NPZ --spec JSON");
        }
        if (Files.exists(ModelDirectory.cardFile(out)) && !force) {
            throw new IllegalArgumentException(out + " already holds a model; pass --force to overwrite it");
        }
        try (LoadedModel model = source.load()) {
            ModelSpec written = ModelDirectory.write(out, model.spec(), model);
            spec.commandLine().getOut().printf("wrote %s (weights SHA-256 %s)%n", out, written.weights().sha256());
        }
        return 0;
    }
}
