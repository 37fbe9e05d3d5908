package org.diffusionworker.storage;

/** There is no object under the requested key. */
public class ObjectNotFoundException extends ObjectStoreException {

    public ObjectNotFoundException(String message, Throwable cause) {
        super(message, 1, cause);
    }
}
