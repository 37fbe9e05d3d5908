package org.diffusionworker.training.data;

import java.nio.file.Path;
import java.util.Optional;

/**
 * Training data that cannot be used: a missing, truncated or malformed file, shapes that do not
 * agree, labels out of range. It is the caller's data that is wrong, so retrying will not help;
 * plain I/O failures (permissions, a failing disk) stay {@link java.io.IOException}s.
 */
public class InvalidDatasetException extends RuntimeException {

    private final transient Path file;

    public InvalidDatasetException(String message) {
        super(message);
        this.file = null;
    }

    private InvalidDatasetException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
        this.file = file;
    }

    /** A problem with one file; the message starts with the file's path, like a compiler error. */
    public static InvalidDatasetException inFile(Path file, String problem) {
        return new InvalidDatasetException(file, problem, null);
    }

    /** As {@link #inFile(Path, String)}, keeping the low-level exception that revealed the problem. */
    public static InvalidDatasetException inFile(Path file, String problem, Throwable cause) {
        return new InvalidDatasetException(file, problem, cause);
    }

    /** The file at fault, when the problem lies in one file. */
    public Optional<Path> file() {
        return Optional.ofNullable(file);
    }
}
