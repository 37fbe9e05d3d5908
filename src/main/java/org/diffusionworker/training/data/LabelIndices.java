package org.diffusionworker.training.data;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** Checks label indices read from a file against the label names, so the error can name the file. */
final class LabelIndices {

    private LabelIndices() {}

    /**
     * The names to use for {@code labels}: the given ones, when every label indexes into them, or
     * "0".."max" when none are given.
     */
    static List<String> namesFor(Path labelsFile, int[] labels, Optional<List<String>> given) {
        if (given.isPresent()) {
            List<String> names = given.get();
            requireValidNames(names);
            for (int i = 0; i < labels.length; i++) {
                if (labels[i] >= names.size()) {
                    throw InvalidDatasetException.inFile(labelsFile, "label " + labels[i] + " of image " + i
                            + " is outside the " + names.size() + " label names " + names
                            + " (valid labels: 0.." + (names.size() - 1) + ")");
                }
            }
            return names;
        }
        int max = 0;
        for (int label : labels) {
            max = Math.max(max, label);
        }
        return LabelNames.numbered(max + 1);
    }

    /** Label names given by the caller, checked before any file is read. */
    static void requireValidNames(List<String> names) {
        try {
            LabelNames.requireValid(names);
        } catch (IllegalArgumentException e) {
            throw new InvalidDatasetException("invalid label names: " + e.getMessage());
        }
    }
}
