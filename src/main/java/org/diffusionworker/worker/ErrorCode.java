package org.diffusionworker.worker;

/**
 * Why a request failed. The first five are the request's fault (the producer must change something before sending
 * it again); {@link #STORAGE_UNAVAILABLE} and {@link #INTERNAL} are the system's.
 */
public enum ErrorCode {
    /** Not decodable, a field of the wrong type, a value outside its domain, or contradicting fields. */
    INVALID_REQUEST,
    /** A label (or a context entry) that the loaded model does not know. */
    UNKNOWN_LABEL,
    /** Within the domain but beyond what this worker is configured to do (count, steps, payload size). */
    LIMIT_EXCEEDED,
    /** Its deadline passed before sampling started. */
    EXPIRED,
    /** Its request id was already used with different parameters. */
    CONFLICT,
    /** The object store stayed unreachable for longer than the configured outage limit. */
    STORAGE_UNAVAILABLE,
    /** A fault of the worker itself. */
    INTERNAL;

    /** Whether the producer caused it (as opposed to the worker or its infrastructure). */
    public boolean isRequestFault() {
        return this != STORAGE_UNAVAILABLE && this != INTERNAL;
    }
}
