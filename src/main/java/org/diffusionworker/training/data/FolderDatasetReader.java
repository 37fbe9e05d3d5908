package org.diffusionworker.training.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * Reads a directory of labelled pictures, torchvision {@code ImageFolder} style: one sub-folder
 * per label, its name the label's name, holding {@code .png}, {@code .jpg} or {@code .jpeg} files.
 *
 * <ul>
 *   <li>Labels are the sub-folders sorted by name (String order, so "10" sorts before "2"); within
 *       a folder, files are read in name order. The dataset is not shuffled; the trainer does that.
 *   <li>All images must have the same width and height; the first one read sets the size.
 *   <li>Grey pictures give one channel and colour ones three. When a folder mixes them, the grey
 *       ones are widened to three equal channels rather than rejected: photos collected from the
 *       web often include a few grey ones, and R = G = B is exactly what PIL's
 *       {@code convert("RGB")} gives them in the Python pipeline. Alpha is dropped.
 *   <li>Hidden files and folders (a leading dot, like {@code .DS_Store}) are ignored, as are files
 *       with other extensions and files directly in the top directory.
 * </ul>
 */
public final class FolderDatasetReader {

    private static final List<String> EXTENSIONS = List.of(".png", ".jpg", ".jpeg");

    private FolderDatasetReader() {}

    public static ImageDataset read(Path directory) throws IOException {
        DatasetFiles.requireDirectory(directory, "image folder dataset");
        List<Path> labelFolders = sortedEntries(directory, Files::isDirectory);
        if (labelFolders.isEmpty()) {
            throw InvalidDatasetException.inFile(directory, "has no label sub-folders; expected one folder of"
                    + " images (" + String.join(", ", EXTENSIONS) + ") per label, named after the label");
        }
        List<String> labelNames = new ArrayList<>();
        List<DecodedImage> images = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        for (Path folder : labelFolders) {
            List<Path> files = sortedEntries(folder, FolderDatasetReader::isImageFile);
            if (files.isEmpty()) {
                throw InvalidDatasetException.inFile(folder, "label folder has no images ("
                        + String.join(", ", EXTENSIONS) + ")");
            }
            for (Path file : files) {
                DecodedImage image = DecodedImage.read(file);
                if (!images.isEmpty() && !image.hasSameSizeAs(images.get(0))) {
                    throw InvalidDatasetException.inFile(file, "is " + image.size() + " pixels (width x height)"
                            + " but the first image, " + images.get(0).file() + ", is " + images.get(0).size()
                            + "; all images must have the same size");
                }
                images.add(image);
                labels.add(labelNames.size());
            }
            labelNames.add(folder.getFileName().toString());
        }
        return assemble(images, labels, labelNames);
    }

    private static ImageDataset assemble(List<DecodedImage> images, List<Integer> labels, List<String> labelNames) {
        boolean anyColour = images.stream().anyMatch(image -> image.channels() == 3);
        int channels = anyColour ? 3 : 1;
        DecodedImage first = images.get(0);
        int valuesPerImage = channels * first.width() * first.height();
        float[] pixels = new float[images.size() * valuesPerImage];
        for (int i = 0; i < images.size(); i++) {
            float[] values = anyColour ? images.get(i).asRgb() : images.get(i).values();
            System.arraycopy(values, 0, pixels, i * valuesPerImage, valuesPerImage);
        }
        int[] labelIndices = labels.stream().mapToInt(Integer::intValue).toArray();
        return new ImageDataset(images.size(), channels, first.height(), first.width(), pixels, labelIndices,
                labelNames);
    }

    private static List<Path> sortedEntries(Path directory, Predicate<Path> wanted) throws IOException {
        try (Stream<Path> entries = Files.list(directory)) {
            return entries.filter(entry -> !DatasetFiles.isHidden(entry))
                    .filter(wanted)
                    .sorted(Comparator.comparing(entry -> entry.getFileName().toString()))
                    .toList();
        }
    }

    private static boolean isImageFile(Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        return Files.isRegularFile(file) && EXTENSIONS.stream().anyMatch(name::endsWith);
    }
}
