package org.diffusionworker.messaging;

import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Bounds the events sent for records answered at once (refusals) but not yet acknowledged by Kafka. Without it a
 * flood of bad records would be answered as fast as they are read and could overflow the event emitter's buffer;
 * with it, the consumer stops fetching while {@code max} such events are in flight.
 */
final class AnswerWindow {

    private final int max;
    private final ArrayDeque<CompletableFuture<Void>> waiting = new ArrayDeque<>();
    private int inFlight;

    AnswerWindow(int max) {
        if (max < 1) {
            throw new IllegalArgumentException("max must be >= 1, got " + max);
        }
        this.max = max;
    }

    /** Counts {@code sent} until it completes; the result completes when the consumer may fetch the next record. */
    CompletionStage<Void> add(CompletionStage<?> sent) {
        CompletableFuture<Void> room;
        synchronized (this) {
            inFlight++;
            if (inFlight <= max) {
                room = CompletableFuture.completedFuture(null);
            } else {
                room = new CompletableFuture<>();
                waiting.add(room);
            }
        }
        sent.whenComplete((ok, failure) -> release());
        return room;
    }

    synchronized int inFlight() {
        return inFlight;
    }

    private void release() {
        CompletableFuture<Void> next;
        synchronized (this) {
            inFlight--;
            next = inFlight <= max ? waiting.poll() : null;
        }
        if (next != null) {
            next.complete(null);
        }
    }
}
