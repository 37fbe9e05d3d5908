package org.diffusionworker.worker;

import java.util.Objects;
import java.util.function.Consumer;

/**
 * Follows one request through the worker: its start and progress (sent only when the request asked for them, best
 * effort) and its one terminal {@link Outcome}. Called on the worker's threads, never concurrently for one request,
 * and always in order: {@link #started} before any {@link #progress}, both before {@link #finished}. Must be quick.
 */
public interface RequestObserver {

    /** The request's first image entered a forward pass. */
    default void started(RequestProgress.Started started) {}

    /** More denoising steps of the request are done (throttled per request). */
    default void progress(RequestProgress.Step step) {}

    /** The request ended; called exactly once unless the worker stops first. */
    void finished(Outcome outcome);

    /** An observer of the terminal outcome only. */
    static RequestObserver of(Consumer<Outcome> callback) {
        Objects.requireNonNull(callback, "callback");
        return callback::accept;
    }
}
