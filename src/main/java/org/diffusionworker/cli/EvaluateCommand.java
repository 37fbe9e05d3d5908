package org.diffusionworker.cli;

import ai.djl.Device;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.diffusionworker.diffusion.ClassifierFreeGuidance;
import org.diffusionworker.diffusion.SamplerKind;
import org.diffusionworker.diffusion.SamplerSettings;
import org.diffusionworker.diffusion.TimestepSpacing;
import org.diffusionworker.generation.GenerationEngine;
import org.diffusionworker.model.DjlRuntime;
import org.diffusionworker.model.InvalidModelException;
import org.diffusionworker.model.LoadedModel;
import org.diffusionworker.model.ModelLoader;
import org.diffusionworker.model.ModelSpec;
import org.diffusionworker.training.data.DatasetFormat;
import org.diffusionworker.training.data.DatasetSplit;
import org.diffusionworker.training.data.ImageDataset;
import org.diffusionworker.training.data.LabelNames;
import org.diffusionworker.training.evaluation.ClassificationScores;
import org.diffusionworker.training.evaluation.ClassifierCache;
import org.diffusionworker.training.evaluation.ClassifierSettings;
import org.diffusionworker.training.evaluation.EvaluationReport;
import org.diffusionworker.training.evaluation.EvaluationSetting;
import org.diffusionworker.training.evaluation.Evaluator;
import org.diffusionworker.training.evaluation.FeatureClassifier;
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

    /** How to choose DDPM's settings. */
    enum DdpmChoice { NONE, BEST, ALL }

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

    /** Asked between two steps whether a signal stopped the run; set while {@link #call} runs. */
    private StopSignal stop;

    @Override
    public Integer call() throws IOException {
        PrintWriter console = spec != null ? spec.commandLine().getOut() : new PrintWriter(System.err, true);
        try (StopSignal signal = StopSignal.install(StopSignal.GRACE)) {
            stop = signal;
            try {
                return evaluate(console);
            } catch (StopSignal.Stopped e) {
                console.printf("%s; no report was written%n", e.getMessage());
                console.flush();
                return StopSignal.STOPPED;
            }
        } finally {
            stop = null;
        }
    }

    private int evaluate(PrintWriter console) throws IOException {
        EngineThreads.apply(threads);
        DdpmChoice ddpmChoice = parseDdpm(ddpm);
        if (samplesPerLabel < 2 || ddpmSamplesPerLabel < 2) {
            throw new IllegalArgumentException("--samples-per-label and --ddpm-samples-per-label must be >= 2");
        }
        if (guidance == null || guidance.isEmpty()) {
            throw new IllegalArgumentException("--guidance needs at least one weight");
        }
        guidance.forEach(ClassifierFreeGuidance::new);
        List<SamplerSettings> settings = samplerSettings();
        Device target = DjlRuntime.device(device);
        Path output = out != null ? out : model.resolve("evaluation");

        ImageDataset train = dataset.load(DatasetSplit.TRAIN);
        ImageDataset test = testSet();
        if (!sameShape(train, test)) {
            throw new IllegalArgumentException("test images " + test + " differ from the training images " + train);
        }
        LoadedModel loaded;
        try {
            loaded = ModelLoader.fromDirectory(model, target);
        } catch (InvalidModelException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        try (GenerationEngine engine = new GenerationEngine(loaded)) {
            ModelSpec card = engine.spec();
            checkModelFitsData(card, train);
            if (unnamed(train)) {
                // Report the model's label names, not "0".."9".
                train = train.withLabelNames(card.labels());
                test = test.withLabelNames(card.labels());
            }
            ClassifierSettings classifierSettings = ClassifierSettings.DEFAULT.withEpochs(classifierEpochs)
                    .withMirror(classifierMirror);
            Path cacheRoot = classifierCache != null ? classifierCache : ClassifierCache.defaultRoot();
            ClassifierCache cache = new ClassifierCache(cacheRoot, List.of(shippedClassifiers));
            ClassifierCache.Obtained obtained;
            List<String> byEpoch = new ArrayList<>();
            ImageDataset heldOut = test;
            try (ProgressBar bar = bar("classifier",
                    (long) classifierSettings.epochs() * FeatureClassifier.batchesPerEpoch(train.count(),
                            classifierSettings))) {
                // The test accuracy after each epoch shows whether more epochs would still help;
                // it is reported, never used to choose the classifier.
                obtained = cache.obtain(train, classifierSettings, target, step -> step(bar), (trained, epoch) -> {
                    String accuracy = String.format(Locale.ROOT, "%.2f%%", 100 * trained.score(heldOut).accuracy());
                    byEpoch.add(accuracy);
                    if (bar != null) {
                        bar.setExtraMessage("epoch " + epoch + " test " + accuracy);
                    }
                });
            }
            if (!byEpoch.isEmpty()) {
                console.printf(Locale.ROOT, "classifier test accuracy after each epoch: %s%n",
                        String.join(" ", byEpoch));
            }
            try (FeatureClassifier classifier = obtained.classifier()) {
                ClassificationScores testScores = classifier.score(test);
                console.printf(Locale.ROOT, "classifier (%s): test accuracy %.2f%% on %d images%n",
                        obtained.fromCache() ? "loaded from " + obtained.directory() : "trained",
                        100 * testScores.accuracy(), test.count());
                Evaluator evaluator = new Evaluator(classifier, test);
                List<Evaluator.Row> rows = new ArrayList<>();
                // The floor of each N: real images scored as if generated.
                rows.add(evaluator.scoreReal(train, samplesPerLabel, seed, "real images, N=" + samplesPerLabel));
                if (ddpmSamplesPerLabel != samplesPerLabel && ddpmChoice != DdpmChoice.NONE) {
                    rows.add(evaluator.scoreReal(train, ddpmSamplesPerLabel, seed,
                            "real images, N=" + ddpmSamplesPerLabel));
                }
                List<Evaluator.Row> ddim = new ArrayList<>();
                for (SamplerSettings setting : settings) {
                    for (double w : guidance) {
                        Evaluator.Row row = score(evaluator, engine, new EvaluationSetting(setting,
                                new ClassifierFreeGuidance(w), samplesPerLabel), output, console);
                        rows.add(row);
                        if (ddim.size() < guidance.size()) {
                            ddim.add(row);
                        }
                    }
                }
                List<Double> ddpmWeights = switch (ddpmChoice) {
                    case NONE -> List.of();
                    case ALL -> guidance;
                    case BEST -> List.of(guidance.get(ddim.indexOf(
                            ddim.stream().min(Comparator.comparingDouble(Evaluator.Row::frechetDistance)).orElseThrow())));
                };
                for (double w : ddpmWeights) {
                    rows.add(score(evaluator, engine, new EvaluationSetting(
                            SamplerSettings.ddpm(card.schedule().timesteps()), new ClassifierFreeGuidance(w),
                            ddpmSamplesPerLabel), output, console));
                }
                String classifierLine = String.format(Locale.ROOT, "CNN %s trained on %d real training images for %d"
                        + " epochs, shifted up to %d pixels%s (%s, `%s`)", FeatureClassifier.VERSION, train.count(),
                        classifierSettings.epochs(), classifierSettings.augmentation().maxShift(),
                        classifierSettings.augmentation().mirror() ? " and mirrored" : "",
                        obtained.fromCache() ? "loaded, not trained" : "trained for this run", obtained.directory());
                EvaluationReport report = new EvaluationReport(card.name(), model.toString(),
                        EvaluationReport.summarise(card.training()), classifierLine, testScores.accuracy(),
                        test.count(), seed, rows);
                Path file = output.resolve("evaluation.md");
                Files.createDirectories(output);
                report.write(file);
                console.printf("report: %s%n", file);
                console.flush();
            }
        }
        return 0;
    }

    private Evaluator.Row score(Evaluator evaluator, GenerationEngine engine, EvaluationSetting setting, Path output,
            PrintWriter console) throws IOException {
        int images = setting.samplesPerLabel() * engine.spec().labels().size();
        try (ProgressBar bar = bar(setting.title(), 0)) {
            EngineSampleSource source = new EngineSampleSource(engine, batchSize, (done, total, nanos) -> step(bar));
            if (bar != null) {
                bar.maxHint(source.stepsFor(setting, images));
            }
            Evaluator.Row row = evaluator.score(setting, source, seed, output);
            console.printf(Locale.ROOT, "%-16s N=%d/label  conditional accuracy %.1f%%  FD %.2f  (%.0f s)%n",
                    setting.title(), setting.samplesPerLabel(), 100 * row.scores().accuracy(), row.frechetDistance(),
                    row.seconds());
            console.flush();
            return row;
        }
    }

    private ProgressBar bar(String task, long max) {
        if (noProgress) {
            return null;
        }
        return new ProgressBarBuilder().setTaskName(task).setInitialMax(max).setStyle(ProgressBarStyle.ASCII)
                .setUpdateIntervalMillis(500).startsFrom(0, Duration.ZERO)
                .setConsumer(new ConsoleProgressBarConsumer(System.err)).build();
    }

    /** After every classifier or sampling step: the bar, and a stop a signal asked for. */
    private void step(ProgressBar bar) {
        if (bar != null) {
            bar.step();
        }
        if (stop != null && stop.requested()) {
            throw new StopSignal.Stopped("in the middle of the evaluation");
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

    private static boolean sameShape(ImageDataset a, ImageDataset b) {
        return a.channels() == b.channels() && a.height() == b.height() && a.width() == b.width()
                && a.labelCount() == b.labelCount();
    }

    private static void checkModelFitsData(ModelSpec card, ImageDataset data) {
        if (card.config().inChannels() != data.channels() || card.config().height() != data.height()
                || card.labels().size() != data.labelCount()) {
            throw new IllegalArgumentException("model " + card.name() + " makes " + card.config().inChannels() + "x"
                    + card.config().height() + "x" + card.config().height() + " images of " + card.labels().size()
                    + " labels, but the data is " + data + "; evaluate it against the data it was trained on");
        }
        // IDX data carries no names (0..n-1): matching by index is then expected, not worth a warning.
        if (!unnamed(data) && !card.labels().equals(data.labelNames())) {
            System.getLogger(EvaluateCommand.class.getName()).log(System.Logger.Level.WARNING,
                    "model labels {0} and data labels {1} differ in name; matching them by index",
                    card.labels(), data.labelNames());
        }
    }

    private static boolean unnamed(ImageDataset data) {
        return data.labelNames().equals(LabelNames.numbered(data.labelCount()));
    }

    /** Every --sampler at every --steps, on --spacing where given; DDPM is refused here (it is --ddpm's). */
    private List<SamplerSettings> samplerSettings() {
        if (steps == null || steps.isEmpty() || samplers == null || samplers.isEmpty()) {
            throw new IllegalArgumentException("--sampler and --steps need at least one value each");
        }
        TimestepSpacing chosen = spacing == null ? null : TimestepSpacing.parse(spacing);
        List<SamplerSettings> all = new ArrayList<>();
        for (String name : samplers) {
            SamplerKind kind = SamplerKind.parse(name);
            if (!kind.takesSteps()) {
                throw new IllegalArgumentException("--sampler ddpm: DDPM always takes all T steps; use --ddpm");
            }
            for (int n : steps) {
                all.add(new SamplerSettings(kind, n, 0, kind.multistep() ? chosen : null));
            }
        }
        return all;
    }

    private static DdpmChoice parseDdpm(String text) {
        for (DdpmChoice choice : DdpmChoice.values()) {
            if (choice.name().equalsIgnoreCase(text.strip())) {
                return choice;
            }
        }
        throw new IllegalArgumentException("--ddpm must be none, best or all, got '" + text + "'");
    }
}
