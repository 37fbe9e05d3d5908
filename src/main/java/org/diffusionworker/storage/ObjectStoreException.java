package org.diffusionworker.storage;

/**
 * An object store operation failed. Thrown as is when the store refused the operation in a way that retrying will
 * not fix (access denied, bad request, misconfiguration); the subclasses say more:
 * {@link StorageUnavailableException} (transient failures outlasted the retries) and {@link ObjectNotFoundException}.
 */
public class ObjectStoreException extends RuntimeException {

    private final int attempts;

    public ObjectStoreException(String message, int attempts, Throwable cause) {
        super(message, cause);
        this.attempts = attempts;
    }

    /** How many times the operation was sent to the store before giving up (1 when it was not retried). */
    public int attempts() {
        return attempts;
    }
}
