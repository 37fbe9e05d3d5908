package org.diffusionworker.storage;

import java.util.Map;
import java.util.Optional;

/**
 * Where generated images go: an S3-style bucket addressed by object keys (see {@link ObjectKeys}).
 *
 * <p>Failures are unchecked: {@link StorageUnavailableException} when the store could not be reached or kept failing
 * transiently through every retry (the system's fault: try again later), {@link ObjectStoreException} when the store
 * refused the operation (configuration or request fault: retrying will not help).
 */
public interface ObjectStore {

    /** The bucket every key of this store lives in (for messages that name the object). */
    String bucket();

    /** Creates the bucket if it does not exist. Returns true when it created it, false when it was already there. */
    boolean ensureBucket();

    /**
     * Stores {@code content} under {@code key}, replacing any object already there.
     *
     * @param metadata user metadata; keys are lower case letters, digits and '-' (S3 lower-cases them anyway),
     *                 values printable ASCII (they travel as HTTP headers)
     */
    void put(String key, byte[] content, String contentType, Map<String, String> metadata);

    /** Size, content type and user metadata of the object under {@code key}, or empty when there is none. */
    Optional<StoredObject> stat(String key);

    /** The whole content of the object under {@code key}; throws {@link ObjectNotFoundException} when there is none. */
    byte[] get(String key);

    /**
     * A URL from which the object can be downloaded with a plain HTTP GET: a presigned URL that expires after the
     * configured time, or, when the store is configured with a public base URL, {@code <base>/<bucket>/<key>}.
     * Computed locally; it does not check that the object exists.
     */
    String url(String key);
}
