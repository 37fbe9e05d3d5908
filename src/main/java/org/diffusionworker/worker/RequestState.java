package org.diffusionworker.worker;

import java.util.EnumSet;
import java.util.Set;

/**
 * Where one delivery of a request is in the worker, as cog names a prediction's states: every request moves forward
 * through these and ends in exactly one terminal state. {@link Job#moveTo} is the only way to change it, and it
 * refuses any transition not listed here, which is what makes the answer exactly-once: the first terminal transition
 * wins, and a late cancel or a late sampling result finds the request ended.
 */
enum RequestState {
    /** Taken; its key is being looked up in the store (a cancel now is decided once the look-up says done or not). */
    LOOKING_UP,
    /** Waiting in the batcher for a forward pass. */
    QUEUED,
    /** At least one of its images is in a forward pass (STARTED was sent); the rest may still be queued. */
    RUNNING,
    /** Every image sampled; its grid is being encoded and stored. Too late to cancel. */
    STORING,
    /** Its images are stored (or were already): answered COMPLETED. */
    COMPLETED,
    /** Answered FAILED with an error code. */
    FAILED,
    /** Answered CANCELED: nothing (more) sampled, nothing stored. */
    CANCELED,
    /** Dropped unanswered because the worker stopped; its record stays uncommitted and is delivered again. */
    ABANDONED;

    private static final Set<RequestState> ENDINGS = EnumSet.of(COMPLETED, FAILED, CANCELED, ABANDONED);

    boolean isTerminal() {
        return ENDINGS.contains(this);
    }

    /** Whether a cancel still takes effect: the request has not reached {@link #STORING}. */
    boolean isCancelable() {
        return this == LOOKING_UP || this == QUEUED || this == RUNNING;
    }

    boolean canMoveTo(RequestState next) {
        return switch (this) {
            case LOOKING_UP -> next == QUEUED || next.isTerminal();
            case QUEUED -> next == RUNNING || next.isTerminal();
            // A running request's remaining images may expire or fail; it is still answered once.
            case RUNNING -> next == STORING || next.isTerminal();
            case STORING -> next == COMPLETED || next == FAILED || next == ABANDONED;
            case COMPLETED, FAILED, CANCELED, ABANDONED -> false;
        };
    }
}
