package org.diffusionworker.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.diffusionworker.console.StopSignal;
import org.diffusionworker.console.TrainingProgressBar;
import org.diffusionworker.model.DjlRuntime;
import org.diffusionworker.model.ModelSpec;
import org.diffusionworker.training.DiffusionTrainer;
import org.diffusionworker.training.TrainingJob;
import org.diffusionworker.training.TrainingPrecision;
import org.diffusionworker.training.TrainingResult;
import org.diffusionworker.training.TrainingSettings;
import org.diffusionworker.training.data.DatasetSplit;
import org.diffusionworker.training.data.ImageDataset;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code train}: trains a ContextUnet on labelled images and writes a model directory that
 * {@code sample}, {@code serve} and {@code evaluate} load as is.
 */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Train a class-conditional ContextUnet on labelled images (DDPM loss, context dropout for"
                + " classifier-free guidance).",
            "Writes <out>/model.json, contextunet.params, samples.png, loss.png and training-log.csv at every"
                + " checkpoint; <out>/checkpoints/ lets --resume continue after a kill."})
public class TrainCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    DatasetOptions dataset = new DatasetOptions();

    @Option(names = "--out", required = true, paramLabel = "models/<name>",
            description = "Model directory to write (checkpoints go under it).")
    Path out;

    @Option(names = "--name", description = "Model name in the card (default: the --out directory's name).")
    String name;

    @Option(names = "--epochs", defaultValue = "" + TrainingSettings.DEFAULT_EPOCHS,
            description = "Epochs; the learning rate decays linearly to zero over them (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--batch-size", defaultValue = "" + TrainingSettings.DEFAULT_BATCH_SIZE,
            description = "Images per step (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--lr", defaultValue = "" + TrainingSettings.DEFAULT_LEARNING_RATE,
            description = "Adam's initial learning rate (default: ${DEFAULT-VALUE}).")
    double learningRate;

    @Option(names = "--n-feat", defaultValue = "64",
            description = "ContextUnet feature maps, a multiple of 8 (default: ${DEFAULT-VALUE}).")
    int nFeat;

    @Option(names = "--height", description = "Expected image height; must match the data (a check).")
    Integer height;

    @Option(names = "--context-dropout", defaultValue = "" + TrainingSettings.DEFAULT_CONTEXT_DROPOUT,
            description = "Fraction of samples trained without context, for guidance (default: ${DEFAULT-VALUE}).")
    double contextDropout;

    @Option(names = "--ema-decay", defaultValue = "" + TrainingSettings.DEFAULT_EMA_DECAY,
            description = "Decay of a moving average of the weights to publish as the model, e.g. 0.999 (diffusers'"
                    + " EMAModel); 0 publishes the trained weights (default: ${DEFAULT-VALUE}).")
    double emaDecay;

    @Option(names = "--precision", defaultValue = "fp32",
            description = "fp32 (the Java network's blocks) or bf16 (convolutions in bfloat16, weights and the rest"
                    + " float32, as one TorchScript call; fast on CPUs with AVX-512 BF16 or AMX, emulated and slower"
                    + " elsewhere) (default: ${DEFAULT-VALUE}).")
    String precision;

    @Option(names = "--checkpoint-every", defaultValue = "" + TrainingSettings.DEFAULT_CHECKPOINT_EVERY,
            description = "Epochs between checkpoints; the last epoch always writes one (default: ${DEFAULT-VALUE}).")
    int checkpointEvery;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of everything random (default: ${DEFAULT-VALUE}).")
    int seed;

    @Option(names = "--resume", description = "Continue the run in --out from its newest checkpoint.")
    boolean resume;

    @Option(names = "--device", defaultValue = "cpu", description = "cpu, gpu, gpu:N or auto (default: ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--timesteps", defaultValue = "500", description = "Diffusion steps T (default: ${DEFAULT-VALUE}).")
    int timesteps;

    @Option(names = "--preview-steps", defaultValue = "" + TrainingSettings.DEFAULT_PREVIEW_STEPS,
            description = "DDIM steps of samples.png (default: ${DEFAULT-VALUE}).")
    int previewSteps;

    @Option(names = "--preview-guidance", defaultValue = "" + TrainingSettings.DEFAULT_PREVIEW_GUIDANCE,
            description = "Guidance weight of samples.png (default: ${DEFAULT-VALUE}).")
    double previewGuidance;

    @Option(names = "--threads", description = "PyTorch intra-op threads (default: PyTorch's, one per core)."
            + " 1 is much faster when other processes share the cores.")
    Integer threads;

    @Option(names = "--no-progress", description = "No progress bar (log lines only).")
    boolean noProgress;

    @Override
    public Integer call() throws IOException {
        DjlRuntime.setIntraOpThreads(threads);
        TrainingJob job = job();
        PrintWriter out = spec != null ? spec.commandLine().getOut() : new PrintWriter(System.err, true);
        TrainingResult result;
        try (StopSignal stop = StopSignal.install(StopSignal.GRACE)) {
            try (TrainingProgressBar progress = new TrainingProgressBar(!noProgress, stop)) {
                result = new DiffusionTrainer().train(job, progress);
            } catch (StopSignal.Stopped e) {
                out.printf(Locale.ROOT, "%s; --resume continues from the newest checkpoint in %s (if one was"
                        + " written)%n", e.getMessage(), job.output());
                out.flush();
                return StopSignal.STOPPED;
            }
        }
        out.println(result.summary());
        out.flush();
        return 0;
    }

    private TrainingPrecision trainingPrecision() {
        try {
            return TrainingPrecision.parse(precision);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--precision " + e.getMessage(), e);
        }
    }

    /** The job the options describe, validated (bad values fail with the option named). */
    TrainingJob job() {
        TrainingSettings settings = new TrainingSettings(epochs, batchSize, learningRate, contextDropout,
                checkpointEvery, seed, previewSteps, previewGuidance, TrainingSettings.DEFAULT_PREVIEW_PER_LABEL,
                emaDecay, trainingPrecision());
        if (nFeat < 8 || nFeat % 8 != 0) {
            throw new IllegalArgumentException("--n-feat must be a positive multiple of 8 (GroupNorm(8, n_feat)), got "
                    + nFeat);
        }
        ModelSpec.Schedule schedule = TrainingJob.courseSchedule(timesteps);
        ImageDataset data = dataset.load(DatasetSplit.TRAIN);
        if (height != null && height != data.height()) {
            throw new IllegalArgumentException("--height " + height + " does not match the data, whose images are "
                    + data.height() + "x" + data.width());
        }
        String modelName = name != null ? name : out.toAbsolutePath().normalize().getFileName().toString();
        return new TrainingJob(data, dataset.describe(), modelName, nFeat, schedule, settings, out, resume,
                DjlRuntime.device(device));
    }
}
