package org.diffusionworker.worker;

import java.lang.System.Logger.Level;
import java.util.concurrent.CompletionException;
import java.util.concurrent.RejectedExecutionException;

/** A stage could not do its part for a request: the request is answered FAILED with this code and message. */
final class StageFailure extends RuntimeException {

    private static final System.Logger LOG = System.getLogger(StageFailure.class.getName());

    private final ErrorCode code;

    StageFailure(ErrorCode code, String message) {
        super(message, null, false, false);
        this.code = code;
    }

    ErrorCode code() {
        return code;
    }

    /** The answer for a stage's failure; a request that already ended or was abandoned keeps that. */
    static Outcome answerFor(Job job, Throwable failure) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
        if (cause instanceof Job.Ended) {
            return null;
        }
        if (cause instanceof Job.Abandoned || cause instanceof RejectedExecutionException) {
            job.abandon();
            return null;
        }
        if (cause instanceof StageFailure f) {
            return new Outcome.Failed(job.request(), f.code(), f.getMessage());
        }
        LOG.log(Level.ERROR, String.format("Request %s failed in the worker", job.requestId()), cause);
        return internal(job.request(), cause);
    }

    /** The answer for a defect of the worker's own (not the request's fault). */
    static Outcome.Failed internal(GenerationRequest request, Throwable cause) {
        return new Outcome.Failed(request, ErrorCode.INTERNAL, "the worker failed on this request ("
                + cause.getClass().getSimpleName() + "); this is the worker's fault, not the request's");
    }
}
