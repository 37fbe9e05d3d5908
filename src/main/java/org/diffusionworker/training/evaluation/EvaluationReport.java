package org.diffusionworker.training.evaluation;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The figures of an evaluation, and their markdown form ({@code evaluation.md}).
 *
 * @param modelName the model card's name
 * @param modelSource where the model was loaded from
 * @param modelSummary one line on how the model was trained (or that it was not)
 * @param classifier one line on the classifier (images, epochs, cached or trained now)
 * @param classifierTestAccuracy its accuracy on the real test images
 * @param testImages how many real test images the distance is measured against
 * @param seed the seed of the generated images
 * @param rows one per scored setting, the real-image floor first
 */
public record EvaluationReport(String modelName, String modelSource, String modelSummary, String classifier,
        double classifierTestAccuracy, int testImages, long seed, List<Evaluator.Row> rows) {

    public EvaluationReport {
        rows = List.copyOf(rows);
    }

    /** The markdown report; grids are linked by their file names, relative to the report. */
    public String toMarkdown() {
        StringBuilder md = new StringBuilder();
        md.append("# Evaluation of `").append(modelName).append("`\n\n");
        md.append("- Model: `").append(modelSource).append("`").append(modelSummary.isEmpty() ? "" : "; ")
                .append(modelSummary).append('\n');
        md.append("- Classifier: ").append(classifier).append("; accuracy on the ").append(testImages)
                .append(" real test images: **").append(percent(classifierTestAccuracy)).append("**\n");
        md.append("- Generated images seeded by ").append(seed).append(" (image i of a setting: seed, i)\n\n");
        md.append("Conditional accuracy: the fraction of generated images that the classifier assigns to the label"
                + " they were generated for. FD: the Fréchet distance between Gaussians fitted to the classifier's "
                + FeatureClassifier.FEATURES + "-d penultimate features of the images and of the real test images"
                + " (FID's formula in a small, dataset-specific feature space; lower is better). FD is biased"
                + " upwards for small N: compare rows with the same N; the real-image row is the floor for its N.\n\n");
        md.append("| setting | N per label | conditional accuracy | FD | generation time |\n");
        md.append("|---|---:|---:|---:|---:|\n");
        for (Evaluator.Row row : rows) {
            md.append("| ").append(row.title()).append(" | ").append(row.perLabel()).append(" | ")
                    .append(percent(row.scores().accuracy())).append(" | ")
                    .append(String.format(Locale.ROOT, "%.2f", row.frechetDistance())).append(" | ")
                    .append(Double.isNaN(row.seconds()) ? "resumed" : row.seconds() > 0
                            ? String.format(Locale.ROOT, "%.0f s", row.seconds()) : "-")
                    .append(" |\n");
        }
        md.append("\n## Accuracy per label\n\n| label |");
        rows.forEach(r -> md.append(' ').append(r.title()).append(" |"));
        md.append("\n|---|");
        rows.forEach(r -> md.append("---:|"));
        md.append('\n');
        List<String> labels = rows.get(0).scores().labels();
        for (int k = 0; k < labels.size(); k++) {
            md.append("| ").append(labels.get(k)).append(" |");
            for (Evaluator.Row row : rows) {
                md.append(' ').append(percent(row.scores().perLabelAccuracy()[k])).append(" |");
            }
            md.append('\n');
        }
        md.append("\n## Samples\n\nOne row per label, in label order (").append(String.join(", ", labels))
                .append(").\n");
        for (Evaluator.Row row : rows) {
            if (row.grid() != null) {
                md.append("\n### ").append(row.title()).append("\n\n![").append(row.title()).append("](")
                        .append(row.grid().getFileName()).append(")\n");
            }
        }
        return md.toString();
    }

    public void write(Path file) throws IOException {
        Path partial = file.resolveSibling("." + file.getFileName() + ".partial");
        Files.writeString(partial, toMarkdown(), StandardCharsets.UTF_8);
        Files.move(partial, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /** A one-line summary of a model card's training record. */
    public static String summarise(Map<String, Object> training) {
        if (training == null || training.isEmpty()) {
            return "no training record in its card";
        }
        StringBuilder s = new StringBuilder("trained ");
        s.append(training.getOrDefault("epochsCompleted", "?")).append(" of ").append(training.getOrDefault("epochs", "?"))
                .append(" epochs, batch ").append(training.getOrDefault("batchSize", "?"))
                .append(", lr ").append(training.getOrDefault("learningRate", "?"))
                .append(", final loss ").append(training.getOrDefault("finalLoss", "?"));
        return s.toString();
    }

    static String percent(double fraction) {
        return Double.isNaN(fraction) ? "-" : String.format(Locale.ROOT, "%.1f%%", 100 * fraction);
    }
}
