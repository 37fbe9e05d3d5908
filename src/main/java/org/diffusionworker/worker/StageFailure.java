package org.diffusionworker.worker;

/** A stage could not do its part for a request: the request is answered FAILED with this code and message. */
final class StageFailure extends RuntimeException {

    private final ErrorCode code;

    StageFailure(ErrorCode code, String message) {
        super(message, null, false, false);
        this.code = code;
    }

    ErrorCode code() {
        return code;
    }
}
