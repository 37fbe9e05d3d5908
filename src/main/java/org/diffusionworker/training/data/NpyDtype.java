package org.diffusionworker.training.data;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Collectors;

/** The NumPy element types the dataset readers accept, all little-endian (or single bytes). */
enum NpyDtype {
    UINT8("|u1", 1, true),
    INT32("<i4", 4, true),
    INT64("<i8", 8, true),
    FLOAT32("<f4", 4, false),
    FLOAT64("<f8", 8, false);

    private final String descr;
    private final int bytes;
    private final boolean integral;

    NpyDtype(String descr, int bytes, boolean integral) {
        this.descr = descr;
        this.bytes = bytes;
        this.integral = integral;
    }

    /** NumPy's descr string, such as {@code <f4}. */
    String descr() {
        return descr;
    }

    int bytes() {
        return bytes;
    }

    boolean isIntegral() {
        return integral;
    }

    /** Element {@code index} as a long (integral types only). */
    long longAt(ByteBuffer data, int index) {
        return switch (this) {
            case UINT8 -> data.get(index) & 0xFF;
            case INT32 -> data.getInt(index * 4);
            case INT64 -> data.getLong(index * 8);
            case FLOAT32, FLOAT64 -> throw new IllegalStateException(descr + " is not an integer type");
        };
    }

    /** Element {@code index} as a double (exact for every value of these types but int64 beyond 2^53). */
    double doubleAt(ByteBuffer data, int index) {
        return switch (this) {
            case UINT8 -> data.get(index) & 0xFF;
            case INT32 -> data.getInt(index * 4);
            case INT64 -> data.getLong(index * 8);
            case FLOAT32 -> data.getFloat(index * 4);
            case FLOAT64 -> data.getDouble(index * 8);
        };
    }

    /**
     * The type a header's descr names. Single-byte types may carry any byte-order mark (NumPy
     * writes '|'); wider ones must be little-endian ('<'), the order NumPy uses on every common machine.
     */
    static NpyDtype parse(Path file, String descr) {
        if (descr.length() >= 2 && descr.charAt(0) == '>' && !descr.endsWith("1")) {
            throw InvalidDatasetException.inFile(file, "big-endian dtype '" + descr + "' is not supported; save"
                    + " it little-endian (numpy: a.astype(a.dtype.newbyteorder('<')))");
        }
        for (NpyDtype dtype : values()) {
            boolean singleByteAnyOrder = dtype.bytes == 1 && descr.length() == 3
                    && "|<>=".indexOf(descr.charAt(0)) >= 0 && descr.substring(1).equals(dtype.descr.substring(1));
            if (dtype.descr.equals(descr) || singleByteAnyOrder) {
                return dtype;
            }
        }
        throw InvalidDatasetException.inFile(file, "unsupported dtype '" + descr + "'; supported: " + choices());
    }

    static String choices() {
        return Arrays.stream(values()).map(NpyDtype::descr).collect(Collectors.joining(", "));
    }
}
