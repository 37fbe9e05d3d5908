package org.diffusionworker.training.evaluation;

import ai.djl.Device;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import org.diffusionworker.diffusion.ClassifierFreeGuidance;
import org.diffusionworker.diffusion.SamplerSettings;
import org.diffusionworker.model.ModelSpec;
import org.diffusionworker.training.data.ImageDataset;
import org.diffusionworker.training.data.LabelNames;

/**
 * The {@code evaluate} command's work: obtains the classifier (cached or trained), scores real images
 * as the floor of each N, then every setting of an {@link EvaluationPlan}, and writes
 * {@code evaluation.md}. Lines for the reader go to {@code console}; progress to an {@link EvaluationProgress}.
 */
public final class ModelEvaluation {

    private static final System.Logger LOG = System.getLogger(ModelEvaluation.class.getName());

    private final ModelSpec card;
    private final String modelLocation;
    private final ImageDataset train;
    private final ImageDataset test;
    private final PrintWriter console;
    private final EvaluationProgress progress;

    /** Checks that the model makes images of the data's shape and labels; unnamed data takes the model's names. */
    public ModelEvaluation(ModelSpec card, String modelLocation, ImageDataset train, ImageDataset test,
            PrintWriter console, EvaluationProgress progress) {
        checkModelFitsData(card, train);
        this.card = card;
        this.modelLocation = modelLocation;
        // Report the model's label names, not "0".."9".
        this.train = unnamed(train) ? train.withLabelNames(card.labels()) : train;
        this.test = unnamed(train) ? test.withLabelNames(card.labels()) : test;
        this.console = console;
        this.progress = progress;
    }

    /** Runs the plan and writes {@code output/evaluation.md} (returned) and a grid per setting. */
    public Path run(EvaluationPlan plan, ClassifierCache cache, ClassifierSettings classifierSettings, Device device,
            SampleSources sources, Path output) throws IOException {
        ClassifierCache.Obtained obtained = obtainClassifier(cache, classifierSettings, device);
        try (FeatureClassifier classifier = obtained.classifier()) {
            ClassificationScores testScores = classifier.score(test);
            console.printf(Locale.ROOT, "classifier (%s): test accuracy %.2f%% on %d images%n",
                    obtained.fromCache() ? "loaded from " + obtained.directory() : "trained",
                    100 * testScores.accuracy(), test.count());
            List<Evaluator.Row> rows = scoreAll(plan, new Evaluator(classifier, test), sources, output);
            String classifierLine = String.format(Locale.ROOT, "CNN %s trained on %d real training images for %d"
                    + " epochs, shifted up to %d pixels%s (%s, `%s`)", FeatureClassifier.VERSION, train.count(),
                    classifierSettings.epochs(), classifierSettings.augmentation().maxShift(),
                    classifierSettings.augmentation().mirror() ? " and mirrored" : "",
                    obtained.fromCache() ? "loaded, not trained" : "trained for this run", obtained.directory());
            EvaluationReport report = new EvaluationReport(card.name(), modelLocation,
                    EvaluationReport.summarise(card.training()), classifierLine, testScores.accuracy(),
                    test.count(), plan.seed(), rows);
            Path file = output.resolve("evaluation.md");
            Files.createDirectories(output);
            report.write(file);
            console.printf("report: %s%n", file);
            console.flush();
            return file;
        }
    }

    private ClassifierCache.Obtained obtainClassifier(ClassifierCache cache, ClassifierSettings settings,
            Device device) throws IOException {
        List<String> byEpoch = new ArrayList<>();
        ClassifierCache.Obtained obtained;
        try (EvaluationProgress.Task task = progress.start("classifier",
                (long) settings.epochs() * FeatureClassifier.batchesPerEpoch(train.count(), settings))) {
            // The test accuracy after each epoch shows whether more epochs would still help;
            // it is reported, never used to choose the classifier.
            obtained = cache.obtain(train, settings, device, step -> task.step(), (trained, epoch) -> {
                String accuracy = String.format(Locale.ROOT, "%.2f%%", 100 * trained.score(test).accuracy());
                byEpoch.add(accuracy);
                task.message("epoch " + epoch + " test " + accuracy);
            });
        }
        if (!byEpoch.isEmpty()) {
            console.printf(Locale.ROOT, "classifier test accuracy after each epoch: %s%n", String.join(" ", byEpoch));
        }
        return obtained;
    }

    private List<Evaluator.Row> scoreAll(EvaluationPlan plan, Evaluator evaluator, SampleSources sources,
            Path output) throws IOException {
        List<Evaluator.Row> rows = new ArrayList<>();
        // The floor of each N: real images scored as if generated.
        rows.add(evaluator.scoreReal(train, plan.samplesPerLabel(), plan.seed(),
                "real images, N=" + plan.samplesPerLabel()));
        if (plan.ddpmSamplesPerLabel() != plan.samplesPerLabel() && plan.ddpm() != DdpmChoice.NONE) {
            rows.add(evaluator.scoreReal(train, plan.ddpmSamplesPerLabel(), plan.seed(),
                    "real images, N=" + plan.ddpmSamplesPerLabel()));
        }
        List<Double> guidance = plan.guidance();
        List<Evaluator.Row> first = new ArrayList<>();
        for (SamplerSettings setting : plan.samplers()) {
            for (double w : guidance) {
                Evaluator.Row row = score(evaluator, sources, new EvaluationSetting(setting,
                        new ClassifierFreeGuidance(w), plan.samplesPerLabel()), plan.seed(), output);
                rows.add(row);
                if (first.size() < guidance.size()) {
                    first.add(row);
                }
            }
        }
        List<Double> ddpmWeights = switch (plan.ddpm()) {
            case NONE -> List.of();
            case ALL -> guidance;
            case BEST -> List.of(guidance.get(first.indexOf(
                    first.stream().min(Comparator.comparingDouble(Evaluator.Row::frechetDistance)).orElseThrow())));
        };
        for (double w : ddpmWeights) {
            rows.add(score(evaluator, sources, new EvaluationSetting(
                    SamplerSettings.ddpm(card.schedule().timesteps()), new ClassifierFreeGuidance(w),
                    plan.ddpmSamplesPerLabel()), plan.seed(), output));
        }
        return rows;
    }

    private Evaluator.Row score(Evaluator evaluator, SampleSources sources, EvaluationSetting setting, long seed,
            Path output) throws IOException {
        int images = setting.samplesPerLabel() * card.labels().size();
        try (EvaluationProgress.Task task = progress.start(setting.title(), 0)) {
            SampleSource source = sources.open(task::step);
            task.maxHint(sources.stepsFor(setting, images));
            int readBefore = sources.imagesRead();
            Evaluator.Row row = evaluator.score(setting, source, seed, output);
            int read = sources.imagesRead() - readBefore;
            if (read > 0) {
                // Part of the images came from an earlier run: the time measured here is not the setting's.
                row = new Evaluator.Row(row.title(), row.perLabel(), row.scores(), row.frechetDistance(), Double.NaN,
                        row.grid());
            }
            console.printf(Locale.ROOT, "%-16s N=%d/label  conditional accuracy %.1f%%  FD %.2f  (%s)%n",
                    setting.title(), setting.samplesPerLabel(), 100 * row.scores().accuracy(), row.frechetDistance(),
                    read > 0 ? read + " of " + images + " images read from an earlier run"
                            : String.format(Locale.ROOT, "%.0f s", row.seconds()));
            console.flush();
            return row;
        }
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
            LOG.log(System.Logger.Level.WARNING,
                    "model labels {0} and data labels {1} differ in name; matching them by index",
                    card.labels(), data.labelNames());
        }
    }

    private static boolean unnamed(ImageDataset data) {
        return data.labelNames().equals(LabelNames.numbered(data.labelCount()));
    }
}
