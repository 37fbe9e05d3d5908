package org.diffusionworker.worker;

import java.util.Objects;

/** A request that cannot be run as sent; the message tells the producer what to change. */
public final class RequestRejectedException extends RuntimeException {

    private final ErrorCode code;

    public RequestRejectedException(ErrorCode code, String message) {
        super(message, null, false, false);
        this.code = Objects.requireNonNull(code, "code");
    }

    public ErrorCode code() {
        return code;
    }
}
