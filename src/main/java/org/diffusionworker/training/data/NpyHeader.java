package org.diffusionworker.training.data;

import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The header of a {@code .npy} file: a Python dict literal such as
 * {@code {'descr': '<f4', 'fortran_order': False, 'shape': (89400, 16, 16, 3), }}
 * (NumPy's format.py, "Format Version 1.0").
 *
 * @param dtype the element type
 * @param shape the array's dimensions, each at least 1; C (row-major) order
 */
record NpyHeader(NpyDtype dtype, int[] shape) {

    // NumPy writes keys with single quotes (repr of a dict); double quotes are accepted too.
    private static final Pattern DESCR = Pattern.compile("['\"]descr['\"]\\s*:\\s*['\"]([^'\"]*)['\"]");
    private static final Pattern STRUCTURED = Pattern.compile("['\"]descr['\"]\\s*:\\s*\\[");
    private static final Pattern FORTRAN_ORDER = Pattern.compile("['\"]fortran_order['\"]\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("['\"]shape['\"]\\s*:\\s*\\(([^)]*)\\)");

    /** Values per element: the product of the shape (at most Integer.MAX_VALUE, checked by parse). */
    int elementCount() {
        int count = 1;
        for (int size : shape) {
            count *= size;
        }
        return count;
    }

    /** "(89400, 16, 16, 3)", NumPy's way, for messages. */
    String shapeText() {
        StringBuilder text = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) {
            text.append(i == 0 ? "" : ", ").append(shape[i]);
        }
        return text.append(shape.length == 1 ? ",)" : ")").toString();
    }

    static NpyHeader parse(Path file, String text) {
        String dict = text.strip();
        if (!dict.startsWith("{") || !dict.endsWith("}")) {
            throw InvalidDatasetException.inFile(file, "NPY header is not a dict literal: " + dict);
        }
        if (STRUCTURED.matcher(dict).find()) {
            throw InvalidDatasetException.inFile(file, "structured (record) dtypes are not supported; expected"
                    + " a plain array of " + NpyDtype.choices() + ": " + dict);
        }
        NpyDtype dtype = NpyDtype.parse(file, find(file, DESCR, dict, "descr"));
        if (find(file, FORTRAN_ORDER, dict, "fortran_order").equals("True")) {
            throw InvalidDatasetException.inFile(file, "fortran_order is True (column-major data) and is not"
                    + " supported; save it in C order (numpy: np.save(f, np.ascontiguousarray(a)))");
        }
        return new NpyHeader(dtype, parseShape(file, find(file, SHAPE, dict, "shape"), dict));
    }

    private static String find(Path file, Pattern pattern, String dict, String key) {
        Matcher matcher = pattern.matcher(dict);
        if (!matcher.find()) {
            throw InvalidDatasetException.inFile(file, "NPY header has no readable '" + key + "': " + dict);
        }
        return matcher.group(1);
    }

    private static int[] parseShape(Path file, String tuple, String dict) {
        String[] parts = tuple.split(",");
        int rank = parts.length;
        // "(5,)" splits into one part; "()" into one empty part: a scalar.
        if (parts[rank - 1].isBlank()) {
            rank--;
        }
        if (rank == 0) {
            throw InvalidDatasetException.inFile(file, "holds a scalar (shape ()); expected an array: " + dict);
        }
        int[] shape = new int[rank];
        long count = 1;
        for (int i = 0; i < rank; i++) {
            // Python 2 wrote longs with an L suffix: (1000L, 28L, 28L).
            String part = parts[i].strip().replaceFirst("[lL]$", "");
            long size;
            try {
                size = Long.parseLong(part);
            } catch (NumberFormatException e) {
                throw InvalidDatasetException.inFile(file, "NPY header shape has a non-integer size '" + part
                        + "': " + dict, e);
            }
            if (size < 1 || size > Integer.MAX_VALUE) {
                throw InvalidDatasetException.inFile(file, "NPY header shape has size " + size + " in dimension "
                        + i + "; each size must be 1.." + Integer.MAX_VALUE + ": " + dict);
            }
            count = Math.min(count * size, (long) Integer.MAX_VALUE + 1);
            shape[i] = (int) size;
        }
        if (count > Integer.MAX_VALUE) {
            throw InvalidDatasetException.inFile(file, "shape " + tuple.strip() + " has more elements than one Java"
                    + " array can hold");
        }
        return shape;
    }
}
