package org.diffusionworker.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.diffusionworker.model.ModelDirectory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code export-state-dict}: a model directory's weights as a PyTorch state dict (.npz), the inverse of
 * {@code import-weights}; tools/reference/export_torchscript.py makes a TorchScript model (e.g. bf16) of it.
 */
@Command(name = "export-state-dict", mixinStandardHelpOptions = true,
        description = "Write a model directory's weights as a PyTorch state dict (.npz, the seed's names).")
public class ExportStateDictCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Model directory to read.")
    Path model;

    @Option(names = "--out", required = true, paramLabel = "FILE.npz", description = "State dict to write.")
    Path out;

    @Override
    public Integer call() throws IOException {
        if (!out.getFileName().toString().endsWith(".npz")) {
            throw new IllegalArgumentException("--out must name a .npz file, got " + out);
        }
        ModelDirectory.writeStateDict(model, out);
        spec.commandLine().getOut().printf("wrote %s%n", out);
        return 0;
    }
}
