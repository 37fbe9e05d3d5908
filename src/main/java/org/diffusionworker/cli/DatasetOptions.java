package org.diffusionworker.cli;

import java.nio.file.Path;
import org.diffusionworker.training.data.DatasetFormat;
import org.diffusionworker.training.data.DatasetLoader;
import org.diffusionworker.training.data.DatasetSplit;
import org.diffusionworker.training.data.ImageDataset;
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

    /** The dataset's {@code split}, limited to {@code --limit} images. */
    ImageDataset load(DatasetSplit split) {
        return load(data, labels, split, limit);
    }

    /** Another source (e.g. test files) in the same format and with the same label names. */
    ImageDataset load(Path source, Path labelsFile, DatasetSplit split, Integer max) {
        return DatasetLoader.load(format, source, labelsFile, labelNames, split, max);
    }

    /** What the model card records as the data's source. */
    String describe() {
        return DatasetLoader.describe(format, data, labels, limit);
    }
}
