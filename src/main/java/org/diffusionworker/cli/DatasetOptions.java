package org.diffusionworker.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.diffusionworker.training.data.DatasetFormat;
import org.diffusionworker.training.data.DatasetLoader;
import org.diffusionworker.training.data.DatasetSplit;
import org.diffusionworker.training.data.ImageDataset;
import org.diffusionworker.training.data.InvalidDatasetException;
import org.diffusionworker.training.data.LabelNames;
import picocli.CommandLine.Option;

/** The options that name a labelled dataset, shared by {@code train} and {@code evaluate}. */
public class DatasetOptions {

    @Option(names = "--data", required = true, paramLabel = "<file|dir>",
            description = "Training images: an IDX directory or images file, an images .npy, or a folder of label"
                    + " folders.")
    Path data;

    @Option(names = "--labels", paramLabel = "<file>",
            description = "Labels file (IDX idx1-ubyte or .npy) when --data is a single images file.")
    Path labels;

    @Option(names = "--label-names", paramLabel = "<list|preset>",
            description = "Label names: a preset (mnist, fashion-mnist, sprites) or a comma-separated list;"
                    + " default: numbered (IDX, NPY) or the folder names (FOLDER).")
    String labelNames;

    @Option(names = "--format", defaultValue = "idx", paramLabel = "idx|npy|folder",
            description = "Dataset format: idx, npy or folder (default: ${DEFAULT-VALUE}).")
    String format;

    @Option(names = "--limit", paramLabel = "N",
            description = "Use only the first N images (quick runs and speed measurements).")
    Integer limit;

    DatasetFormat format() {
        return DatasetFormat.parse(format);
    }

    Optional<List<String>> names() {
        return Optional.ofNullable(labelNames).map(LabelNames::parse);
    }

    /** The dataset's {@code split}, limited to {@code --limit} images. */
    ImageDataset load(DatasetSplit split) {
        return load(data, labels, split, limit);
    }

    /** Another source (e.g. test files) in the same format and with the same label names. */
    ImageDataset load(Path source, Path labelsFile, DatasetSplit split, Integer max) {
        if (max != null && max < 1) {
            throw new IllegalArgumentException("--limit must be >= 1, got " + max);
        }
        try {
            ImageDataset dataset = DatasetLoader.load(format(), source, Optional.ofNullable(labelsFile), names(), split);
            return max == null ? dataset : dataset.take(max);
        } catch (InvalidDatasetException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + source + ": " + e.getMessage(), e);
        }
    }

    /** What the model card records as the data's source. */
    String describe() {
        return format().name().toLowerCase(java.util.Locale.ROOT) + ":" + data.toAbsolutePath().normalize()
                + (labels == null ? "" : " labels:" + labels.toAbsolutePath().normalize())
                + (limit == null ? "" : " (first " + limit + " images)");
    }
}
