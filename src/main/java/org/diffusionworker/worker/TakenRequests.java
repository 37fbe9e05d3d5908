package org.diffusionworker.worker;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The worker's back-pressure: requests taken but not yet answered (waiting in the queue, sampling or uploading, and
 * redelivered copies waiting on them), and the callers waiting for the count to drop below the limit before they
 * fetch more. A caller that waits for {@link #room} before taking the next request never makes the worker hold more
 * than the limit. (Images are bounded further on: {@link DynamicBatcher} admits a bounded number into batches.)
 */
final class TakenRequests {

    private final int limit;
    private final AtomicInteger taken = new AtomicInteger();
    private final ArrayDeque<CompletableFuture<Void>> waiting = new ArrayDeque<>();
    private volatile boolean unlimited;

    TakenRequests(int limit) {
        this.limit = limit;
    }

    void add(int requests) {
        taken.addAndGet(requests);
    }

    void release(int requests) {
        taken.addAndGet(-requests);
        grant();
    }

    int count() {
        return taken.get();
    }

    /** Completes once the count is below the limit (at once when it is). */
    CompletionStage<Void> room() {
        if (unlimited || taken.get() < limit) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Void> room = new CompletableFuture<>();
        synchronized (waiting) {
            waiting.add(room);
        }
        grant(); // the count may have dropped meanwhile
        return room;
    }

    /** Lets every waiting caller go, now and from now on (the worker is stopping and takes nothing more). */
    void lift() {
        unlimited = true;
        grant();
    }

    private void grant() {
        List<CompletableFuture<Void>> granted = new ArrayList<>();
        synchronized (waiting) {
            while (!waiting.isEmpty() && (unlimited || taken.get() < limit)) {
                granted.add(waiting.poll());
            }
        }
        granted.forEach(f -> f.complete(null));
    }
}
