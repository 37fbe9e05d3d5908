package org.diffusionworker.training.evaluation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.diffusionworker.diffusion.ClassifierFreeGuidance;
import org.diffusionworker.diffusion.SamplerSettings;
import org.diffusionworker.imaging.ImageBatch;
import org.diffusionworker.training.data.ImageDataset;
import org.diffusionworker.training.data.SyntheticShapes;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The classifier and the evaluator on synthetic shapes the test makes. */
@Tag("native-memory")
class EvaluationTest {

    private static final ClassifierSettings SETTINGS = new ClassifierSettings(4, 32, 2e-3, 3);
    private static ImageDataset train;
    private static ImageDataset heldOut;
    private static FeatureClassifier classifier;
    private static final Map<Integer, Double> accuracyByEpoch = new TreeMap<>();

    @TempDir
    Path temp;

    @BeforeAll
    static void trainClassifier() {
        train = SyntheticShapes.make(300, 16, 1);
        heldOut = SyntheticShapes.make(150, 16, 2);
        classifier = FeatureClassifier.train(train, SETTINGS, Device.cpu(), step -> {},
                (trained, epoch) -> accuracyByEpoch.put(epoch, trained.score(heldOut).accuracy()));
    }

    @AfterAll
    static void closeClassifier() {
        classifier.close();
    }

    @Test
    void theClassifierScoresHighOnHeldOutImagesAndNearChanceOnNoise() {
        double accuracy = classifier.score(heldOut).accuracy();
        assertTrue(accuracy >= 0.95, "held-out accuracy " + accuracy);

        int count = 300;
        float[] noise = uniformNoise(count * 256, 4);
        int[] requested = new int[count];
        for (int i = 0; i < count; i++) {
            requested[i] = i % 3;
        }
        double onNoise = ClassificationScores.of(requested, classifier.classify(noise, count).predicted(),
                SyntheticShapes.LABELS).accuracy();
        // Whatever it calls noise, it cannot match labels that cycle independently of the images.
        assertTrue(onNoise > 0.2 && onNoise < 0.47, "accuracy on noise " + onNoise);
    }

    @Test
    void trainingShowsTheClassifierAfterEveryEpoch() {
        assertEquals(List.of(1, 2, 3, 4), List.copyOf(accuracyByEpoch.keySet()));
        // The last look is at the classifier that training returns, and scoring it changed nothing.
        assertEquals(classifier.score(heldOut).accuracy(), accuracyByEpoch.get(4));
    }

    @Test
    void aCachedClassifierIsReusedForTheSameDataAndSettings() throws IOException {
        ClassifierCache cache = new ClassifierCache(temp.resolve("cache"));
        ImageDataset small = train.take(90);
        ClassifierSettings quick = SETTINGS.withEpochs(1);
        float[] pixels = heldOut.pixels();
        int[] first;
        try (FeatureClassifier trained = cache.obtain(small, quick, Device.cpu(), step -> {}).classifier()) {
            first = trained.classify(pixels, heldOut.count()).predicted();
        }
        ClassifierCache.Obtained again = cache.obtain(small, quick, Device.cpu(), step -> {});
        try (FeatureClassifier cached = again.classifier()) {
            assertTrue(again.fromCache());
            assertEquals(temp.resolve("cache").resolve(small.contentHash()), again.directory());
            assertArrayEquals(first, cached.classify(pixels, heldOut.count()).predicted());
        }
        List<String> renamed = small.labelNames().stream().map(name -> "renamed-" + name).toList();
        ClassifierCache.Obtained afterRename = cache.obtain(small.withLabelNames(renamed), quick, Device.cpu(),
                step -> {});
        try (FeatureClassifier cached = afterRename.classifier()) {
            assertTrue(afterRename.fromCache(), "new label names alone must reuse the cached classifier");
            assertEquals(renamed, cached.labels());
        }
        ClassifierCache.Obtained retrained = cache.obtain(small, quick.withEpochs(2), Device.cpu(), step -> {});
        try (FeatureClassifier other = retrained.classifier()) {
            assertFalse(retrained.fromCache(), "other settings must not reuse the cached classifier");
        }
    }

    @Test
    void aShippedClassifierIsUsedReadOnlyBeforeTheCache() throws IOException {
        ImageDataset small = train.take(90);
        ClassifierSettings quick = SETTINGS.withEpochs(1);
        Path shipped = temp.resolve("shipped");
        int[] first;
        try (FeatureClassifier trained = new ClassifierCache(shipped).obtain(small, quick, Device.cpu(), step -> {})
                .classifier()) {
            first = trained.classify(heldOut.pixels(), heldOut.count()).predicted();
        }
        Path shippedDirectory = shipped.resolve(small.contentHash());
        byte[] shippedWeights = Files.readAllBytes(shippedDirectory.resolve(ClassifierCache.PARAMS));
        Path cacheRoot = temp.resolve("user-cache");
        ClassifierCache cache = new ClassifierCache(cacheRoot, List.of(temp.resolve("missing"), shipped));

        ClassifierCache.Obtained found = cache.obtain(small, quick, Device.cpu(), step -> {});
        try (FeatureClassifier loaded = found.classifier()) {
            assertTrue(found.fromCache());
            assertEquals(shippedDirectory, found.directory());
            assertArrayEquals(first, loaded.classify(heldOut.pixels(), heldOut.count()).predicted());
        }
        assertFalse(Files.exists(cacheRoot), "nothing trained, nothing written");
        ClassifierCache.Obtained other = cache.obtain(small, quick.withEpochs(2), Device.cpu(), step -> {});
        try (FeatureClassifier trained = other.classifier()) {
            assertFalse(other.fromCache(), "other settings are trained, not taken from the shipped one");
            assertEquals(cacheRoot.resolve(small.contentHash()), other.directory());
        }
        assertArrayEquals(shippedWeights, Files.readAllBytes(shippedDirectory.resolve(ClassifierCache.PARAMS)),
                "the shipped classifier is never replaced");
    }

    @Test
    void theEvaluatorScoresGoodBadAndMislabelledSourcesAsTheyDeserve() throws IOException {
        Evaluator evaluator = new Evaluator(classifier, heldOut);
        ImageDataset pool = SyntheticShapes.make(600, 16, 9);
        EvaluationSetting setting = new EvaluationSetting(SamplerSettings.ddim(5, 0), new ClassifierFreeGuidance(1),
                20);

        // "Generates" real images of the label asked for.
        SampleSource faithful = (s, labels, seed, first) -> images(pool, labels, 0);
        // Real images of the next label.
        SampleSource mislabelled = (s, labels, seed, first) -> images(pool, labels, 1);
        SampleSource noisy = (s, labels, seed, first) -> new ImageBatch(labels.length, 1, 16, 16,
                uniformNoise(labels.length * 256, seed));

        Evaluator.Row real = evaluator.scoreReal(train, 20, 5, "real training images");
        Evaluator.Row good = evaluator.score(setting, faithful, 7, temp);
        Evaluator.Row wrong = evaluator.score(setting, mislabelled, 7, temp);
        Evaluator.Row noise = evaluator.score(setting, noisy, 7, temp);

        assertTrue(real.scores().accuracy() >= 0.95, "real: " + real.scores().accuracy());
        assertTrue(good.scores().accuracy() >= 0.95, "faithful: " + good.scores().accuracy());
        assertTrue(wrong.scores().accuracy() <= 0.05, "mislabelled: " + wrong.scores().accuracy());
        // Mislabelled images are real images: the distance does not see labels.
        assertTrue(good.frechetDistance() < noise.frechetDistance() / 5,
                "FD faithful " + good.frechetDistance() + " vs noise " + noise.frechetDistance());
        assertEquals(wrong.frechetDistance(), good.frechetDistance(), good.frechetDistance() + 1e-6);
        assertTrue(Files.isRegularFile(temp.resolve("grid-ddim5-w1.png")));
        assertEquals(60, good.scores().total());

        EvaluationReport report = new EvaluationReport("tiny", "models/tiny", "trained 2 of 2 epochs",
                "test CNN", 0.99, heldOut.count(), 7, List.of(real, good, noise));
        Path file = temp.resolve("evaluation.md");
        report.write(file);
        String markdown = Files.readString(file);
        assertTrue(markdown.contains("| DDIM-5, w=1 | 20 | 100.0% |"), markdown);
        assertTrue(markdown.contains("![DDIM-5, w=1](grid-ddim5-w1.png)"), markdown);
        assertTrue(markdown.contains("| square |"), markdown);
    }

    @Test
    void aPerLabelSampleHoldsTheSameNumberOfEveryLabel() {
        ImageDataset sample = Evaluator.perLabelSample(train, 7, 1);
        assertEquals(21, sample.count());
        assertArrayEquals(new int[] {7, 7, 7}, sample.labelCounts());
        assertEquals(0, sample.label(0));
        assertEquals(2, sample.label(20));
    }

    /** Images of {@code pool} whose label is {@code labels[i] + offset} (mod 3), distinct per request. */
    private static ImageBatch images(ImageDataset pool, int[] labels, int offset) {
        int[] next = new int[3];
        int[] indices = new int[labels.length];
        for (int i = 0; i < labels.length; i++) {
            int want = (labels[i] + offset) % 3;
            int j = next[want];
            while (pool.label(j) != want) {
                j++;
            }
            indices[i] = j;
            next[want] = j + 1;
        }
        return pool.select(indices).asImageBatch();
    }

    private static float[] uniformNoise(int values, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] noise = new float[values];
        for (int i = 0; i < values; i++) {
            noise[i] = (float) (2 * random.nextDouble() - 1);
        }
        return noise;
    }
}
