package org.diffusionworker.model;

/** Weights or a model card that cannot be used: missing, malformed, or of the wrong shapes. */
public class InvalidModelException extends RuntimeException {
    public InvalidModelException(String message) {
        super(message);
    }

    public InvalidModelException(String message, Throwable cause) {
        super(message, cause);
    }
}
