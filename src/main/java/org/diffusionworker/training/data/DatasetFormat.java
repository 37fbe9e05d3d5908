package org.diffusionworker.training.data;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The on-disk layouts the training data can come in. */
public enum DatasetFormat {

    /** MNIST-style IDX files (images idx3-ubyte + labels idx1-ubyte), gzipped or not. */
    IDX,

    /** NumPy {@code .npy} arrays, as in the course's sprites: uint8 images [N, H, W, C] and labels. */
    NPY,

    /** A directory with one sub-folder of PNG/JPEG images per label. */
    FOLDER;

    /** The format named by {@code text} (any case, surrounding blanks ignored). */
    public static DatasetFormat parse(String text) {
        if (text != null) {
            String wanted = text.strip().toUpperCase(Locale.ROOT);
            for (DatasetFormat format : values()) {
                if (format.name().equals(wanted)) {
                    return format;
                }
            }
        }
        throw new IllegalArgumentException("unknown dataset format '" + text + "'; choose one of " + choices());
    }

    /** The accepted names, lower case, for messages and help texts: "idx, npy, folder". */
    public static String choices() {
        return Arrays.stream(values())
                .map(format -> format.name().toLowerCase(Locale.ROOT))
                .collect(Collectors.joining(", "));
    }
}
