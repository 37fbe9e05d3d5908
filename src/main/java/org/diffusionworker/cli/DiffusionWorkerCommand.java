package org.diffusionworker.cli;

import io.quarkus.picocli.runtime.annotations.TopCommand;
import picocli.CommandLine.Command;

/** The single entry point: {@code diffusion-worker <command>}. */
@TopCommand
@Command(
        name = "diffusion-worker",
        mixinStandardHelpOptions = true,
        version = "diffusion-worker 0.1.0",
        description = "Generates images with a class-conditional diffusion model (ContextUnet on DJL).",
        subcommands = {SampleCommand.class, ImportWeightsCommand.class, ExportStateDictCommand.class,
                BenchmarkCommand.class, ServeCommand.class, SubmitCommand.class, LoadgenCommand.class,
                TrainCommand.class, EvaluateCommand.class, QualityPlotCommand.class})
public class DiffusionWorkerCommand {}
