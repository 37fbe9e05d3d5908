package org.diffusionworker.worker;

/** What a cancel did on this worker ({@link GenerationWorker#cancel}). Every cancel is also remembered for a while. */
public enum CancelEffect {
    /** The request was waiting for a batch here: answered CANCELED, nothing sampled. */
    CANCELED_QUEUED,
    /** The request was in a forward pass here: answered CANCELED, its images leave the batch at the next step. */
    CANCELED_RUNNING,
    /** The request is being looked up here: CANCELED unless a result already exists (then it stays COMPLETED). */
    AFTER_LOOKUP,
    /** Its images are sampled and being stored, or it ended: too late, nothing changes. */
    TOO_LATE,
    /** Not in flight here (not arrived yet, on another worker, or long done): remembered for its arrival. */
    NOT_HERE;

    /** What canceling a request that was {@code before} did, when it could still be canceled. */
    static CancelEffect after(RequestState before) {
        return switch (before) {
            case LOOKING_UP -> AFTER_LOOKUP;
            case RUNNING -> CANCELED_RUNNING;
            default -> CANCELED_QUEUED;
        };
    }
}
