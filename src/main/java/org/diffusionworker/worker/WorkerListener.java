package org.diffusionworker.worker;

/**
 * What the worker reports as it goes, for metrics. Called on the worker's own threads (the inference thread for
 * batches and steps): implementations must be quick and must not throw.
 */
public interface WorkerListener {

    WorkerListener NONE = new WorkerListener() {};

    /** A request ended (completed, deduplicated or failed). */
    default void requestFinished(Outcome outcome, long endToEndNanos) {}

    /**
     * A batch started: its size, how many requests share it, how long its oldest image waited, and whether it joined
     * a batch in progress (sharing its forward passes) rather than starting a new one.
     */
    default void batchStarted(int images, int requests, long oldestWaitNanos, boolean joined) {}

    /** One forward pass (a step of every batch in progress on a replica) took this long. */
    default void samplingStep(long nanos) {}

    /** A batch finished sampling. */
    default void batchFinished(int images, long samplingNanos) {}

    /** A request's grid (and GIF) were encoded and stored in this time. */
    default void uploaded(long nanos) {}

    /** A batch spent {@code hookNanos} of its {@code samplingNanos} in its per-step hook (progress and cancel). */
    default void stepHookCost(long hookNanos, long samplingNanos) {}

    /** A control record asked to cancel a request; {@code effect} says what it did here. */
    default void cancelReceived(CancelEffect effect) {}

    /** An intermediate event (STARTED or PROGRESS) was handed to the observer. */
    default void intermediateEvent(RequestEvent kind) {}
}
