package org.diffusionworker.storage;

/**
 * The object store could not be reached, or kept failing with transient errors (5xx, slow-down, I/O), through every
 * configured retry. The system's fault, not the request's: the caller reports {@code STORAGE_UNAVAILABLE} and tries
 * again later rather than failing the request for good.
 */
public class StorageUnavailableException extends ObjectStoreException {

    public StorageUnavailableException(String message, int attempts, Throwable cause) {
        super(message, attempts, cause);
    }
}
