package org.diffusionworker.training.data;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Label indices from a {@code .npy} labels array: either integer indices [N] or one-hot rows
 * [N, classes] (the course's {@code sprite_labels_nc_1788_16x16.npy} is float64 one-hot, 5 columns).
 *
 * @param indices one label index per image
 * @param names the name of each index
 */
record NpyLabels(int[] indices, List<String> names) {

    // A row printed in an error message is cut after this many values.
    private static final int MAX_VALUES_SHOWN = 12;

    static NpyLabels from(NpyArray array, Optional<List<String>> givenNames) {
        return switch (array.rank()) {
            case 1 -> fromIndices(array, givenNames);
            case 2 -> fromOneHot(array, givenNames);
            default -> throw InvalidDatasetException.inFile(array.file(), "labels have shape "
                    + array.header().shapeText() + "; expected integer indices [N] or one-hot rows [N, classes]");
        };
    }

    private static NpyLabels fromIndices(NpyArray array, Optional<List<String>> givenNames) {
        if (!array.dtype().isIntegral()) {
            throw InvalidDatasetException.inFile(array.file(), "labels of shape " + array.header().shapeText()
                    + " are " + array.dtype().descr() + "; label indices [N] must be integers (|u1, <i4, <i8),"
                    + " one-hot labels are 2-D [N, classes]");
        }
        int[] indices = new int[array.shape()[0]];
        for (int i = 0; i < indices.length; i++) {
            long label = array.longAt(i);
            if (label < 0 || label > Integer.MAX_VALUE) {
                throw InvalidDatasetException.inFile(array.file(), "label " + label + " of image " + i
                        + " is not a valid index (labels must be 0 or more)");
            }
            indices[i] = (int) label;
        }
        return new NpyLabels(indices, LabelIndices.namesFor(array.file(), indices, givenNames));
    }

    private static NpyLabels fromOneHot(NpyArray array, Optional<List<String>> givenNames) {
        int rows = array.shape()[0];
        int columns = array.shape()[1];
        if (givenNames.isPresent() && givenNames.get().size() != columns) {
            throw InvalidDatasetException.inFile(array.file(), "has " + columns + " one-hot label columns but "
                    + givenNames.get().size() + " label names were given: " + givenNames.get());
        }
        int[] indices = new int[rows];
        for (int row = 0; row < rows; row++) {
            indices[row] = hotColumn(array, row, columns);
        }
        return new NpyLabels(indices, givenNames.orElseGet(() -> LabelNames.numbered(columns)));
    }

    /** The column holding the row's single 1; exact one-hot only, since mixed labels have no index. */
    private static int hotColumn(NpyArray array, int row, int columns) {
        int hot = -1;
        boolean oneHot = true;
        for (int column = 0; column < columns; column++) {
            double value = array.doubleAt(row * columns + column);
            if (value == 1.0) {
                oneHot &= hot < 0;
                hot = column;
            } else if (value != 0.0) {
                oneHot = false;
            }
        }
        if (!oneHot || hot < 0) {
            throw InvalidDatasetException.inFile(array.file(), "label row " + row + " is not one-hot: "
                    + rowText(array, row, columns) + "; each row needs exactly one 1 and 0 elsewhere");
        }
        return hot;
    }

    private static String rowText(NpyArray array, int row, int columns) {
        StringBuilder text = new StringBuilder("[");
        for (int column = 0; column < Math.min(columns, MAX_VALUES_SHOWN); column++) {
            text.append(column == 0 ? "" : ", ");
            if (array.dtype().isIntegral()) {
                text.append(array.longAt(row * columns + column));
            } else {
                text.append(array.doubleAt(row * columns + column));
            }
        }
        return text.append(columns > MAX_VALUES_SHOWN ? ", ...]" : "]").toString();
    }
}
