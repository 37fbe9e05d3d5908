package org.diffusionworker.training.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * One entry point for the {@code train} and {@code evaluate} commands: picks the reader for a
 * format and checks that the options given make sense for it.
 *
 * <table>
 *   <caption>What each format expects</caption>
 *   <tr><th>format</th><th>data</th><th>labels</th><th>label names</th></tr>
 *   <tr><td>IDX</td><td>a directory with the standard file names (the split picks train or t10k),
 *       or an images file</td><td>none for a directory, required for a file</td><td>optional</td></tr>
 *   <tr><td>NPY</td><td>the images {@code .npy}</td><td>required</td><td>optional</td></tr>
 *   <tr><td>FOLDER</td><td>the directory of label folders</td><td>none</td><td>none: the folder names</td></tr>
 * </table>
 */
public final class DatasetLoader {

    private DatasetLoader() {}

    /** Loads the training split (the only one for NPY and FOLDER data). */
    public static ImageDataset load(DatasetFormat format, Path data, Optional<Path> labels,
            Optional<List<String>> labelNames) throws IOException {
        return load(format, data, labels, labelNames, DatasetSplit.TRAIN);
    }

    /**
     * Loads {@code data} in {@code format}. {@code split} only chooses files in an IDX directory;
     * other sources are one split already, so asking them for TEST is an error rather than a
     * silent read of the training files.
     */
    public static ImageDataset load(DatasetFormat format, Path data, Optional<Path> labels,
            Optional<List<String>> labelNames, DatasetSplit split) throws IOException {
        Objects.requireNonNull(format, "format");
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(labels, "labels");
        Objects.requireNonNull(labelNames, "labelNames");
        Objects.requireNonNull(split, "split");
        boolean idxDirectory = format == DatasetFormat.IDX && Files.isDirectory(data);
        if (split != DatasetSplit.TRAIN && !idxDirectory) {
            throw new InvalidDatasetException("the " + split + " split can only be chosen for an IDX directory; "
                    + data + " is read as given, so point the data (and labels) at the " + split + " files instead");
        }
        return switch (format) {
            case IDX -> idxDirectory
                    ? loadIdxDirectory(data, labels, labelNames, split)
                    : loadIdxFiles(data, labels, labelNames);
            case NPY -> loadNpy(data, labels, labelNames);
            case FOLDER -> loadFolder(data, labels, labelNames);
        };
    }

    /**
     * A dataset as a command's options name it: the format's and label names' texts as given (label names null:
     * numbered, or the folder names), at most the first {@code limit} images (null: all). A dataset that cannot be
     * used fails with an IllegalArgumentException, one that cannot be read with an UncheckedIOException naming it.
     */
    public static ImageDataset load(String format, Path data, Path labels, String labelNames, DatasetSplit split,
            Integer limit) {
        if (limit != null && limit < 1) {
            throw new IllegalArgumentException("--limit must be >= 1, got " + limit);
        }
        try {
            ImageDataset dataset = load(DatasetFormat.parse(format), data, Optional.ofNullable(labels),
                    Optional.ofNullable(labelNames).map(LabelNames::parse), split);
            return limit == null ? dataset : dataset.take(limit);
        } catch (InvalidDatasetException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + data + ": " + e.getMessage(), e);
        }
    }

    /** What a model card records as the source of data loaded from these options. */
    public static String describe(String format, Path data, Path labels, Integer limit) {
        return DatasetFormat.parse(format).name().toLowerCase(Locale.ROOT) + ":" + data.toAbsolutePath().normalize()
                + (labels == null ? "" : " labels:" + labels.toAbsolutePath().normalize())
                + (limit == null ? "" : " (first " + limit + " images)");
    }

    private static ImageDataset loadIdxDirectory(Path directory, Optional<Path> labels,
            Optional<List<String>> labelNames, DatasetSplit split) throws IOException {
        if (labels.isPresent()) {
            throw new InvalidDatasetException("IDX data " + directory + " is a directory, which holds its own labels"
                    + " files; give no labels file, or give the images file instead of the directory");
        }
        return IdxDatasetReader.readDirectory(directory, split, labelNames);
    }

    private static ImageDataset loadIdxFiles(Path images, Optional<Path> labels, Optional<List<String>> labelNames)
            throws IOException {
        Path labelsFile = labels.orElseThrow(() -> new InvalidDatasetException("IDX images file " + images
                + " needs a labels file (idx1-ubyte), or give the directory that holds both"));
        return IdxDatasetReader.read(images, labelsFile, labelNames);
    }

    private static ImageDataset loadNpy(Path images, Optional<Path> labels, Optional<List<String>> labelNames)
            throws IOException {
        Path labelsFile = labels.orElseThrow(() -> new InvalidDatasetException("NPY images file " + images
                + " needs a labels .npy file (indices [N] or one-hot [N, classes])"));
        return NpyDatasetReader.read(images, labelsFile, labelNames);
    }

    private static ImageDataset loadFolder(Path directory, Optional<Path> labels, Optional<List<String>> labelNames)
            throws IOException {
        if (labels.isPresent()) {
            throw new InvalidDatasetException("FOLDER data " + directory + " takes its labels from its sub-folders;"
                    + " give no labels file");
        }
        if (labelNames.isPresent()) {
            throw new InvalidDatasetException("FOLDER data " + directory + " takes its label names from its"
                    + " sub-folder names; give no label names (rename the folders instead)");
        }
        return FolderDatasetReader.read(directory);
    }
}
