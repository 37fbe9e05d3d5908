package org.diffusionworker.training.evaluation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The classifier kept in models/evaluation-classifiers is one that {@code evaluate} will load: made by the current
 * classifier version with the default settings (what the model cards' reproduce commands ask for), and its weights fit
 * that network. A change to the classifier or its defaults fails here until the kept classifier is made again.
 */
@Tag("native-memory")
class ShippedClassifierTest {

    private static final Path ROOT = Path.of("models/evaluation-classifiers");
    private static final String FASHION_MNIST = "41d14918bfd5b5e94877742a3b6c743fb8d9fccc337f8cb1d4431b7098cd6e56";

    @Test
    void theKeptFashionMnistClassifierMatchesTheDefaultsAndLoads() throws IOException {
        List<Path> kept;
        try (Stream<Path> entries = Files.list(ROOT)) {
            kept = entries.filter(Files::isDirectory).toList();
        }
        assertEquals(List.of(ROOT.resolve(FASHION_MNIST)), kept);
        Path directory = kept.get(0);
        Properties p = new Properties();
        try (Reader in = Files.newBufferedReader(directory.resolve(ClassifierCache.PROPERTIES))) {
            p.load(in);
        }
        ClassifierSettings defaults = ClassifierSettings.DEFAULT.withMirror(true);
        assertEquals(FeatureClassifier.VERSION, p.getProperty("version"));
        assertEquals(FASHION_MNIST, p.getProperty("trainingDataHash"));
        assertEquals("60000", p.getProperty("images"));
        assertEquals("1x28x28", p.getProperty("shape"));
        assertEquals("10", p.getProperty("labelCount"));
        assertEquals(Integer.toString(defaults.epochs()), p.getProperty("epochs"));
        assertEquals(Integer.toString(defaults.batchSize()), p.getProperty("batchSize"));
        assertEquals(Double.toString(defaults.learningRate()), p.getProperty("learningRate"));
        assertEquals(Integer.toString(defaults.seed()), p.getProperty("seed"));
        assertEquals(Integer.toString(defaults.augmentation().maxShift()), p.getProperty("shift"));
        assertEquals("true", p.getProperty("mirror"));

        List<String> labels = IntStream.range(0, 10).mapToObj(Integer::toString).toList();
        try (FeatureClassifier classifier = FeatureClassifier.load(directory.resolve(ClassifierCache.PARAMS),
                Device.cpu(), 1, 28, 28, labels)) {
            // A blank image and a bright block: finite features, and not the same for both.
            float[] pixels = new float[2 * 28 * 28];
            Arrays.fill(pixels, -1f);
            for (int y = 6; y < 22; y++) {
                for (int x = 8; x < 20; x++) {
                    pixels[28 * 28 + y * 28 + x] = 1f;
                }
            }
            FeatureClassifier.Outputs outputs = classifier.classify(pixels, 2);
            assertEquals(2, outputs.predicted().length);
            assertEquals(2 * FeatureClassifier.FEATURES, outputs.features().length);
            float[] f = outputs.features();
            for (float value : f) {
                assertTrue(Float.isFinite(value), "finite features");
            }
            assertTrue(!Arrays.equals(Arrays.copyOfRange(f, 0, FeatureClassifier.FEATURES),
                    Arrays.copyOfRange(f, FeatureClassifier.FEATURES, f.length)), "different images, different features");
        }
    }
}
