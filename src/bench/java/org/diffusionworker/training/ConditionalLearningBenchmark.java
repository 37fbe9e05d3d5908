package org.diffusionworker.training;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import org.diffusionworker.diffusion.NoiseSchedule;
import org.diffusionworker.imaging.ImageBatch;
import org.diffusionworker.model.LoadedModel;
import org.diffusionworker.model.ModelLoader;
import org.diffusionworker.model.ModelSpec;
import org.diffusionworker.training.data.ImageDataset;
import org.diffusionworker.training.data.SyntheticShapes;
import org.diffusionworker.training.evaluation.ClassifierSettings;
import org.diffusionworker.training.evaluation.EvaluationSetting;
import org.diffusionworker.training.evaluation.Evaluator;
import org.diffusionworker.training.evaluation.FeatureClassifier;
import org.diffusionworker.training.evaluation.SampleSource;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Does the trainer teach the network its labels? Trains a small ContextUnet on the synthetic
 * shapes for a couple of thousand steps, samples DDIM-25 at w = 0 and 2, and scores the samples
 * with a classifier trained on the real shapes. A few minutes on two cores; run on demand with
 * {@code ./mvnw -Pbench test -Dtest=ConditionalLearningBenchmark}.
 */
@Tag("benchmark")
class ConditionalLearningBenchmark {

    @TempDir
    Path temp;

    @Test
    void samplesOfATrainedModelAreClassifiedAsTheirLabels() throws IOException {
        ImageDataset train = SyntheticShapes.make(960, 16, 1);
        ImageDataset test = SyntheticShapes.make(300, 16, 2);
        int epochs = Integer.parseInt(System.getenv().getOrDefault("BENCH_EPOCHS", "60"));
        TrainingSettings settings = new TrainingSettings(epochs, 32, 2e-3, 0.1, epochs, 4, 25, 2, 8);
        Path out = temp.resolve("shapes");
        TrainingResult result = new DiffusionTrainer().train(new TrainingJob(train, "synthetic shapes", "shapes", 16,
                new ModelSpec.Schedule(200, 1e-4, 0.02), settings, out, false, Device.cpu()), TrainingListener.NONE);
        System.err.printf(Locale.ROOT, "LEARN %d epochs (%d steps): final loss %.4f, %.0f images/s, %.0f s%n",
                epochs, epochs * settings.batchesPerEpoch(train.count()), result.finalLoss(), result.imagesPerSecond(),
                result.wallSeconds());

        try (FeatureClassifier classifier = FeatureClassifier.train(train, new ClassifierSettings(3, 32, 2e-3, 1),
                Device.cpu(), step -> {});
                LoadedModel model = ModelLoader.fromDirectory(out, Device.cpu())) {
            Evaluator evaluator = new Evaluator(classifier, test);
            NoiseSchedule schedule = new NoiseSchedule(200, 1e-4, 0.02);
            // Evaluator asks for a setting's images in one call (first 0), as PreviewSampler seeds them.
            SampleSource source = (setting, labels, seed, first) -> {
                float[] contexts = new float[labels.length * 3];
                for (int i = 0; i < labels.length; i++) {
                    contexts[i * 3 + labels[i]] = 1f;
                }
                try (NDManager scratch = model.manager().newSubManager()) {
                    float[] pixels = PreviewSampler.sample(model::predictNoise, schedule, setting.sampler(),
                            setting.guidance(), contexts, 3, 1, 16, seed, scratch);
                    return new ImageBatch(labels.length, 1, 16, 16, pixels);
                }
            };
            System.err.printf(Locale.ROOT, "LEARN classifier accuracy on real test shapes %.1f%%%n",
                    100 * classifier.score(test).accuracy());
            Evaluator.Row real = evaluator.scoreReal(train, 40, 1, "real");
            System.err.printf(Locale.ROOT, "LEARN real: accuracy %.1f%%, FD %.2f%n", 100 * real.scores().accuracy(),
                    real.frechetDistance());
            double best = 0;
            for (double w : new double[] {0, 2}) {
                EvaluationSetting setting = new EvaluationSetting(
                        org.diffusionworker.diffusion.SamplerSettings.ddim(25, 0),
                        new org.diffusionworker.diffusion.ClassifierFreeGuidance(w), 40);
                Evaluator.Row row = evaluator.score(setting, source, 3, Path.of("target/conditional-learning"));
                System.err.printf(Locale.ROOT, "LEARN %s: conditional accuracy %.1f%%, FD %.2f%n", row.title(),
                        100 * row.scores().accuracy(), row.frechetDistance());
                best = Math.max(best, row.scores().accuracy());
            }
            assertTrue(best > 0.8, "samples should mostly show the label asked for; best accuracy " + best);
        }
    }
}
