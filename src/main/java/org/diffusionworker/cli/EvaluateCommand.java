package org.diffusionworker.cli;

import ai.djl.Device;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.diffusionworker.console.EvaluationProgressBars;
import org.diffusionworker.console.StopSignal;
import org.diffusionworker.generation.GenerationEngine;
import org.diffusionworker.model.DjlRuntime;
import org.diffusionworker.model.InvalidModelException;
import org.diffusionworker.model.LoadedModel;
import org.diffusionworker.model.ModelLoader;
import org.diffusionworker.training.data.DatasetFormat;
import org.diffusionworker.training.data.DatasetSplit;
import org.diffusionworker.training.data.ImageDataset;
import org.diffusionworker.training.evaluation.ClassifierCache;
import org.diffusionworker.training.evaluation.ClassifierSettings;
import org.diffusionworker.training.evaluation.DdpmChoice;
import org.diffusionworker.training.evaluation.EvaluationPlan;
import org.diffusionworker.training.evaluation.EvaluationProgress;
import org.diffusionworker.training.evaluation.ModelEvaluation;
import org.diffusionworker.training.evaluation.SampleSources;
import org.diffusionworker.training.evaluation.StoredSamples;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code evaluate}: scores a model's samples with a classifier trained on the real data:
 * conditional accuracy per sampler setting and a Fréchet distance to the real test images.
 * Writes {@code evaluation.md} and one grid per setting.
 */
@Command(name = "evaluate", mixinStandardHelpOptions = true,
        description = {"Evaluate a model: conditional accuracy and a Fréchet distance (in the features of a small CNN"
                + " trained on the real data) for DDIM, DPM-Solver++(2M) or UniPC at several steps and guidance weights, and"
                + " DDPM.",
            "Writes <out>/evaluation.md and a grid PNG per setting."})
public class EvaluateCommand implements Callable<Integer> {

    /** Batches per stored chunk with --resume: what a stop loses at most. */
    static final int RESUME_CHUNK_BATCHES = 3;

    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "<dir>", description = "Model directory to evaluate.")
    Path model;

    @Mixin
    DatasetOptions dataset = new DatasetOptions();

    @Option(names = "--test-data", paramLabel = "<file|dir>",
            description = "Real test images (default: the TEST split of an IDX directory given as --data).")
    Path testData;

    @Option(names = "--test-labels", paramLabel = "<file>", description = "Labels of --test-data, when it is a file.")
    Path testLabels;

    @Option(names = "--out", paramLabel = "<dir>", description = "Where to write the report (default: <model>/evaluation).")
    Path out;

    @Option(names = "--samples-per-label", defaultValue = "100",
            description = "DDIM images per label and setting (default: ${DEFAULT-VALUE}).")
    int samplesPerLabel;

    @Option(names = "--ddpm-samples-per-label", defaultValue = "20",
            description = "DDPM images per label and setting; DDPM takes all T steps, ~20x DDIM-25 (default:"
                    + " ${DEFAULT-VALUE}).")
    int ddpmSamplesPerLabel;

    @Option(names = "--sampler", split = ",", defaultValue = "ddim", paramLabel = "ddim|dpmpp-2m|unipc",
            description = "Samplers to evaluate at every --steps and --guidance (default: ${DEFAULT-VALUE}); DDPM is"
                    + " --ddpm's.")
    List<String> samplers;

    @Option(names = {"--steps", "--ddim-steps"}, split = ",", defaultValue = "25",
            description = "Steps of every --sampler, one or more (default: ${DEFAULT-VALUE}).")
    List<Integer> steps;

    @Option(names = "--spacing", paramLabel = "trailing|log-snr",
            description = "Timestep spacing of dpmpp-2m and unipc (default: log-snr below 10 steps, else"
                    + " trailing; measured).")
    String spacing;

    @Option(names = "--guidance", split = ",", defaultValue = "0,1,3",
            description = "Guidance weights to evaluate with --sampler (default: ${DEFAULT-VALUE}).")
    List<Double> guidance;

    @Option(names = "--ddpm", defaultValue = "best", paramLabel = "none|best|all",
            description = "DDPM at no weight, at the weight with the lowest DDIM distance, or at every weight"
                    + " (default: ${DEFAULT-VALUE}).")
    String ddpm;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the generated images (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--batch-size", defaultValue = "100", description = "Images per generation batch (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--classifier-epochs", defaultValue = "" + ClassifierSettings.DEFAULT_EPOCHS,
            description = "Epochs of the classifier, when it is not cached (default: ${DEFAULT-VALUE}).")
    int classifierEpochs;

    @Option(names = "--classifier-mirror", negatable = true, defaultValue = "false",
            description = "Also mirror the classifier's training images left-right: for classes that survive a"
                    + " mirror, like Fashion-MNIST's; not for digits (default: ${DEFAULT-VALUE}).")
    boolean classifierMirror;

    @Option(names = "--classifier-cache", paramLabel = "<dir>",
            description = "Where trained classifiers are kept (default: ~/.cache/diffusion-worker/classifiers).")
    Path classifierCache;

    @Option(names = "--shipped-classifiers", paramLabel = "<dir>", defaultValue = "models/evaluation-classifiers",
            description = "Classifiers kept with the models, read-only and looked at before the cache: the ones the"
                    + " model cards' figures were scored with (default: ${DEFAULT-VALUE}; ignored where missing).")
    Path shippedClassifiers;

    @Option(names = "--device", defaultValue = "cpu", description = "cpu, gpu, gpu:N or auto (default: ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--threads", description = "PyTorch intra-op threads (default: PyTorch's, one per core).")
    Integer threads;

    @Option(names = "--no-progress", description = "No progress bars.")
    boolean noProgress;

    @Option(names = "--resume", description = "Keep the generated images in <out>/generated (in chunks of "
            + RESUME_CHUNK_BATCHES + " batches) and read those an earlier run with the same model, setting and seed"
            + " left there: an evaluation stopped part way picks up where it stopped.")
    boolean resume;

    @Override
    public Integer call() throws IOException {
        PrintWriter console = spec != null ? spec.commandLine().getOut() : new PrintWriter(System.err, true);
        try (StopSignal stop = StopSignal.install(StopSignal.GRACE)) {
            try {
                evaluate(console, new EvaluationProgressBars(!noProgress, stop));
                return 0;
            } catch (StopSignal.Stopped e) {
                // Said while the exit is still held: once the signal is closed the JVM may halt at any moment.
                console.printf("%s; no report was written%n", e.getMessage());
                console.flush();
                return StopSignal.STOPPED;
            }
        }
    }

    private void evaluate(PrintWriter console, EvaluationProgress progress) throws IOException {
        DjlRuntime.setIntraOpThreads(threads);
        DdpmChoice ddpmChoice = DdpmChoice.parse(ddpm);
        EvaluationPlan plan = new EvaluationPlan(EvaluationPlan.samplerSettings(samplers, steps, spacing), guidance,
                ddpmChoice, samplesPerLabel, ddpmSamplesPerLabel, seed);
        Device target = DjlRuntime.device(device);
        ImageDataset train = dataset.load(DatasetSplit.TRAIN);
        ImageDataset test = testSet();
        if (!train.sameShapeAs(test)) {
            throw new IllegalArgumentException("test images " + test + " differ from the training images " + train);
        }
        LoadedModel loaded;
        try {
            loaded = ModelLoader.fromDirectory(model, target);
        } catch (InvalidModelException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        try (GenerationEngine engine = new GenerationEngine(loaded)) {
            ModelEvaluation evaluation = new ModelEvaluation(engine.spec(), model.toString(), train, test, console,
                    progress);
            ClassifierSettings classifierSettings = ClassifierSettings.DEFAULT.withEpochs(classifierEpochs)
                    .withMirror(classifierMirror);
            ClassifierCache cache = new ClassifierCache(
                    classifierCache != null ? classifierCache : ClassifierCache.defaultRoot(), List.of(shippedClassifiers));
            Path output = out != null ? out : model.resolve("evaluation");
            SampleSources sources = new EngineSampleSource(engine, batchSize, null);
            evaluation.run(plan, cache, classifierSettings, target, resume ? new StoredSamples(sources,
                    output.resolve("generated"), loaded.weightsSha256(), RESUME_CHUNK_BATCHES * batchSize) : sources,
                    output);
        }
    }

    private ImageDataset testSet() {
        if (testData != null) {
            return dataset.load(testData, testLabels, DatasetSplit.TRAIN, null);
        }
        if (dataset.format() == DatasetFormat.IDX && Files.isDirectory(dataset.data)) {
            return dataset.load(dataset.data, null, DatasetSplit.TEST, null);
        }
        throw new IllegalArgumentException("give --test-data (and --test-labels) with real test images; only an IDX"
                + " directory as --data holds its own test split");
    }
}
