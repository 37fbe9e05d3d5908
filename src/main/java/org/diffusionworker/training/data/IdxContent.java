package org.diffusionworker.training.data;

/** What an MNIST IDX file holds; the magic number says it (0x0000 08 dd: unsigned bytes, dd dimensions). */
enum IdxContent {

    /** Magic 2051 (0x00000803): unsigned-byte images [N, rows, cols]. */
    IMAGES(3, "images", "unsigned-byte images [N, rows, cols]"),

    /** Magic 2049 (0x00000801): unsigned-byte labels [N]. */
    LABELS(1, "labels", "unsigned-byte labels [N]");

    private static final int UNSIGNED_BYTE = 0x08;

    private final int dimensions;
    private final String role;
    private final String description;

    IdxContent(int dimensions, String role, String description) {
        this.dimensions = dimensions;
        this.role = role;
        this.description = description;
    }

    int dimensions() {
        return dimensions;
    }

    /** "images" or "labels", for messages. */
    String role() {
        return role;
    }

    int magic() {
        return UNSIGNED_BYTE << 8 | dimensions;
    }

    /** "2051 (0x00000803: unsigned-byte images [N, rows, cols])", for messages. */
    String expectation() {
        return magic() + " (" + String.format("0x%08X", magic()) + ": " + description + ")";
    }

    static boolean isUnsignedByte(int elementType) {
        return elementType == UNSIGNED_BYTE;
    }

    /** The IDX element type codes, named for messages about files of another type. */
    static String elementTypeName(int elementType) {
        return switch (elementType) {
            case 0x08 -> "unsigned byte";
            case 0x09 -> "signed byte";
            case 0x0B -> "int16";
            case 0x0C -> "int32";
            case 0x0D -> "float32";
            case 0x0E -> "float64";
            default -> "not an IDX type";
        };
    }
}
