package org.diffusionworker.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.diffusionworker.benchmark.BenchmarkRun;
import org.diffusionworker.model.DjlRuntime;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code benchmark}: throughput of the Java path against the PyTorch reference, measured side by side; the harness is
 * {@link BenchmarkRun}, this command its options.
 */
@Command(name = "benchmark", mixinStandardHelpOptions = true,
        description = "Images/s of sampling and training on random-weight models: Java blocks, TorchScript and the "
                + "PyTorch reference, interleaved; medians and spreads (markdown on stdout, progress on stderr).")
public class BenchmarkCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--cases", split = ",", defaultValue = "sampling,training",
            description = "sampling and/or training. Default: ${DEFAULT-VALUE}.")
    List<String> cases;

    @Option(names = "--batches", split = ",", defaultValue = "1,16,64", description = "Sampling batch sizes. Default: ${DEFAULT-VALUE}.")
    List<Integer> batches;

    @Option(names = "--ddpm-steps", defaultValue = "50", description = "DDPM steps timed (extrapolated to 500). Default: ${DEFAULT-VALUE}.")
    int ddpmSteps;

    @Option(names = "--repeats", defaultValue = "5",
            description = "Interleaved repeats per case; medians and ranges are reported. Default: ${DEFAULT-VALUE}.")
    int repeats;

    @Option(names = "--configs", split = ",", defaultValue = "rgb16,gray28",
            description = "Sampling models: rgb16 (16x16x3, n_feat 64, n_cfeat 5) and/or gray28 (28x28x1, n_feat 64, n_cfeat 10).")
    List<String> configs;

    @Option(names = "--training-batch", defaultValue = "64", description = "Training case batch size. Default: ${DEFAULT-VALUE}.")
    int trainingBatch;

    @Option(names = "--training-precisions", split = ",", defaultValue = "fp32,bf16",
            description = "Java training steps to time, each against the reference's fp32 step: fp32 (the Java"
                    + " blocks) and/or bf16 (train --precision bf16). Default: ${DEFAULT-VALUE}.")
    List<String> trainingPrecisions;

    @Option(names = "--training-steps", defaultValue = "5",
            description = "Optimiser steps timed per repeat (after 2 untimed). Default: ${DEFAULT-VALUE}.")
    int trainingSteps;

    @Option(names = "--threads",
            description = "Intra-op threads for both sides (default: each side's own choice, as recorded in the output).")
    Integer threads;

    @Option(names = "--reference", defaultValue = "tools/reference/bench_reference.py",
            description = "The PyTorch reference script; skipped when /usr/bin/python3 lacks torch.")
    Path referenceScript;

    @Option(names = "--no-reference", description = "Time the Java blocks only (no reference, no TorchScript trace).")
    boolean noReference;

    @Option(names = "--bf16", defaultValue = "auto", paramLabel = "auto|on|off",
            description = "Time the bf16 export beside fp32: auto (only where the CPU has bf16 units; oneDNN's emulation"
                    + " elsewhere is many times slower than fp32), on, off. Default: ${DEFAULT-VALUE}.")
    BenchmarkRun.Bf16Column bf16;

    @Option(names = "--out", paramLabel = "MD", description = "Also write the markdown report to this file.")
    Path outFile;

    @Override
    public Integer call() throws Exception {
        DjlRuntime.setIntraOpThreads(threads);
        BenchmarkRun.Settings settings = new BenchmarkRun.Settings(cases, batches, ddpmSteps, repeats, configs,
                trainingBatch, trainingPrecisions, trainingSteps, threads, referenceScript, noReference, bf16, outFile);
        new BenchmarkRun(settings, spec.commandLine().getOut(), spec.commandLine().getErr()).run();
        return 0;
    }
}
