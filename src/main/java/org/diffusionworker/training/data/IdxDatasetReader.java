package org.diffusionworker.training.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads MNIST and Fashion-MNIST in their IDX format: an images file (magic 2051, unsigned bytes
 * [N, rows, cols]) and a labels file (magic 2049, unsigned bytes [N]), each gzipped or not.
 * The images become one grey channel in [-1, 1].
 *
 * <p>Debian's {@code dataset-fashion-mnist} package installs the four files under
 * {@code /usr/share/datasets/fashion-mnist/}; {@link #readDirectory} reads that layout.
 */
public final class IdxDatasetReader {

    /** The conventional names' images and labels files of one split, as found in a directory. */
    public record IdxFiles(Path images, Path labels) {}

    private IdxDatasetReader() {}

    /** Reads an images file and its labels file; the label names are "0".."max label". */
    public static ImageDataset read(Path imagesFile, Path labelsFile) throws IOException {
        return read(imagesFile, labelsFile, Optional.empty());
    }

    /** Reads an images file and its labels file; every label must index into {@code labelNames}. */
    public static ImageDataset read(Path imagesFile, Path labelsFile, List<String> labelNames) throws IOException {
        return read(imagesFile, labelsFile, Optional.of(labelNames));
    }

    /** Reads one split from a directory holding the conventionally named files ({@link #findFiles}). */
    public static ImageDataset readDirectory(Path directory, DatasetSplit split) throws IOException {
        return readDirectory(directory, split, Optional.empty());
    }

    /** As {@link #readDirectory(Path, DatasetSplit)}, with the caller's label names. */
    public static ImageDataset readDirectory(Path directory, DatasetSplit split, List<String> labelNames)
            throws IOException {
        return readDirectory(directory, split, Optional.of(labelNames));
    }

    /** One split of a directory, with the caller's label names where given. */
    static ImageDataset readDirectory(Path directory, DatasetSplit split, Optional<List<String>> labelNames)
            throws IOException {
        IdxFiles files = findFiles(directory, split);
        return read(files.images(), files.labels(), labelNames);
    }

    /**
     * Finds a split's files in {@code directory} under the names MNIST and Fashion-MNIST ship with:
     * {@code train-images-idx3-ubyte} + {@code train-labels-idx1-ubyte} for {@link DatasetSplit#TRAIN},
     * {@code t10k-*} for {@link DatasetSplit#TEST}; each may end in {@code .gz}, and the dotted
     * variant some mirrors use ({@code train-images.idx3-ubyte}) is accepted too. An uncompressed
     * file is preferred over its gzipped twin because it reads faster.
     */
    public static IdxFiles findFiles(Path directory, DatasetSplit split) {
        DatasetFiles.requireDirectory(directory, "IDX dataset");
        String prefix = split == DatasetSplit.TRAIN ? "train" : "t10k";
        return new IdxFiles(
                findOne(directory, split, prefix + "-images", "idx3-ubyte"),
                findOne(directory, split, prefix + "-labels", "idx1-ubyte"));
    }

    private static Path findOne(Path directory, DatasetSplit split, String stem, String kind) {
        List<String> candidates = new ArrayList<>();
        for (String name : List.of(stem + "-" + kind, stem + "." + kind)) {
            candidates.add(name);
            candidates.add(name + ".gz");
        }
        for (String candidate : candidates) {
            Path file = directory.resolve(candidate);
            if (Files.isRegularFile(file)) {
                return file;
            }
        }
        throw InvalidDatasetException.inFile(directory, "has no " + split + " " + stem.substring(stem.indexOf('-') + 1)
                + " file; looked for " + String.join(", ", candidates));
    }

    /** Images and labels, with the caller's label names where given. */
    static ImageDataset read(Path imagesFile, Path labelsFile, Optional<List<String>> labelNames)
            throws IOException {
        labelNames.ifPresent(LabelIndices::requireValidNames);
        // Labels first: they are small, so a wrong pair fails before 47 MB of images are inflated.
        IdxArray labels = IdxFile.read(labelsFile, IdxContent.LABELS);
        IdxArray images = IdxFile.read(imagesFile, IdxContent.IMAGES);
        if (images.count() != labels.count()) {
            throw new InvalidDatasetException("images file " + imagesFile + " holds " + images.count()
                    + " images but labels file " + labelsFile + " holds " + labels.count() + " labels");
        }
        int[] labelIndices = new int[labels.count()];
        for (int i = 0; i < labelIndices.length; i++) {
            labelIndices[i] = labels.values()[i] & 0xFF;
        }
        List<String> names = LabelIndices.namesFor(labelsFile, labelIndices, labelNames);
        byte[] levels = images.values();
        float[] pixels = new float[levels.length];
        for (int i = 0; i < levels.length; i++) {
            pixels[i] = UnitRange.fromByte(levels[i]);
        }
        int[] dimensions = images.dimensions();
        return new ImageDataset(images.count(), 1, dimensions[1], dimensions[2], pixels, labelIndices, names);
    }
}
