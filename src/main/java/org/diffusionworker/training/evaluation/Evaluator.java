package org.diffusionworker.training.evaluation;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.diffusionworker.imaging.GridOptions;
import org.diffusionworker.imaging.ImageBatch;
import org.diffusionworker.imaging.ImageGrid;
import org.diffusionworker.imaging.PngEncoder;
import org.diffusionworker.training.data.ImageDataset;
import org.diffusionworker.training.data.TrainingOrder;

/**
 * Scores generated images with a classifier trained on real data: conditional accuracy (the
 * fraction classified as the label asked for, overall and per label) and the Fréchet distance
 * between generated and real test images in the classifier's penultimate features.
 */
public final class Evaluator {

    /** Columns of a setting's grid: the first images of each label, one row per label. */
    static final int GRID_COLUMNS = 10;

    private final FeatureClassifier classifier;
    private final FeatureStatistics reference;
    private final int referenceCount;

    /** Fits the reference statistics to the classifier's features of {@code realTest}. */
    public Evaluator(FeatureClassifier classifier, ImageDataset realTest) {
        if (!classifier.fits(realTest)) {
            throw new IllegalArgumentException("the classifier does not take the test images " + realTest);
        }
        this.classifier = classifier;
        FeatureClassifier.Outputs outputs = classifier.classify(realTest.pixels(), realTest.count());
        this.reference = FeatureStatistics.of(outputs.features(), realTest.count(), FeatureClassifier.FEATURES);
        this.referenceCount = realTest.count();
    }

    /** How many real test images the distance is measured against. */
    public int referenceCount() {
        return referenceCount;
    }

    /**
     * One row of the report.
     *
     * @param title what was scored
     * @param perLabel images per label
     * @param scores the classifier's verdicts against the labels asked for
     * @param frechetDistance against the real test images
     * @param seconds time spent generating (0 for real images)
     * @param grid the grid PNG, or null
     */
    public record Row(String title, int perLabel, ClassificationScores scores, double frechetDistance,
            double seconds, Path grid) {}

    /**
     * The floor for a given N: real images ({@code perLabel} per label, e.g. from the training set)
     * scored as if they had been generated.
     */
    public Row scoreReal(ImageDataset real, int perLabel, long seed, String title) {
        ImageDataset sample = perLabelSample(real, perLabel, seed);
        int[] requested = new int[sample.count()];
        for (int i = 0; i < requested.length; i++) {
            requested[i] = sample.label(i);
        }
        return row(title, perLabel, requested, sample.pixels(), 0, null);
    }

    /** Generates {@code setting.samplesPerLabel()} images per label and scores them; writes a grid into {@code gridDirectory}. */
    public Row score(EvaluationSetting setting, SampleSource source, long seed, Path gridDirectory)
            throws IOException {
        int labels = classifier.labels().size();
        int perLabel = setting.samplesPerLabel();
        int[] requested = new int[labels * perLabel];
        for (int i = 0; i < requested.length; i++) {
            requested[i] = i / perLabel;
        }
        long start = System.nanoTime();
        ImageBatch images = source.generate(setting, requested, seed);
        double seconds = (System.nanoTime() - start) / 1e9;
        if (images.count() != requested.length) {
            throw new IllegalStateException("asked for " + requested.length + " images, got " + images.count());
        }
        Path grid = null;
        if (gridDirectory != null) {
            Files.createDirectories(gridDirectory);
            grid = gridDirectory.resolve("grid-" + setting.fileStem() + ".png");
            PngEncoder.write(ImageGrid.render(gridOf(images, labels, perLabel),
                    GridOptions.DEFAULT.withColumns(Math.min(GRID_COLUMNS, perLabel))), grid);
        }
        return row(setting.title(), perLabel, requested, images.pixels(), seconds, grid);
    }

    private Row row(String title, int perLabel, int[] requested, float[] pixels, double seconds, Path grid) {
        FeatureClassifier.Outputs outputs = classifier.classify(pixels, requested.length);
        ClassificationScores scores = ClassificationScores.of(requested, outputs.predicted(), classifier.labels());
        double distance = FrechetDistance.between(
                FeatureStatistics.of(outputs.features(), requested.length, FeatureClassifier.FEATURES), reference);
        return new Row(title, perLabel, scores, distance, seconds, grid);
    }

    /** The first {@code min(perLabel, 10)} images of each label (which come in label order), one row per label. */
    static ImageBatch gridOf(ImageBatch images, int labels, int perLabel) {
        int columns = Math.min(GRID_COLUMNS, perLabel);
        int size = images.valuesPerImage();
        float[] pixels = new float[labels * columns * size];
        for (int label = 0; label < labels; label++) {
            for (int c = 0; c < columns; c++) {
                System.arraycopy(images.pixels(), (label * perLabel + c) * size, pixels, (label * columns + c) * size,
                        size);
            }
        }
        return new ImageBatch(labels * columns, images.channels(), images.height(), images.width(), pixels);
    }

    /**
     * {@code perLabel} images of every label, picked in a seeded random order, grouped by label.
     *
     * @throws IllegalArgumentException when a label has fewer images
     */
    public static ImageDataset perLabelSample(ImageDataset data, int perLabel, long seed) {
        int labels = data.labelCount();
        List<List<Integer>> byLabel = new ArrayList<>();
        for (int k = 0; k < labels; k++) {
            byLabel.add(new ArrayList<>());
        }
        for (int i : new TrainingOrder(seed).permutation(0, data.count())) {
            List<Integer> chosen = byLabel.get(data.label(i));
            if (chosen.size() < perLabel) {
                chosen.add(i);
            }
        }
        int[] indices = new int[labels * perLabel];
        for (int k = 0; k < labels; k++) {
            if (byLabel.get(k).size() < perLabel) {
                throw new IllegalArgumentException("label '" + data.labelNames().get(k) + "' has only "
                        + byLabel.get(k).size() + " images, fewer than the " + perLabel + " per label asked for");
            }
            for (int j = 0; j < perLabel; j++) {
                indices[k * perLabel + j] = byLabel.get(k).get(j);
            }
        }
        return data.select(indices);
    }
}
