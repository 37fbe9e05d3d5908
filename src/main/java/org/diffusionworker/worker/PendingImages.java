package org.diffusionworker.worker;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The worker's back-pressure: images accepted but not yet answered (queued, sampling or uploading, and those of
 * redelivered copies waiting on them), and the callers waiting for the count to drop to the limit before they fetch
 * more. A caller that waits for {@link #room} before taking the next request never makes the worker hold more than
 * the limit plus one request.
 */
final class PendingImages {

    private final int limit;
    private final AtomicInteger pending = new AtomicInteger();
    private final ArrayDeque<CompletableFuture<Void>> waiting = new ArrayDeque<>();
    private volatile boolean unlimited;

    PendingImages(int limit) {
        this.limit = limit;
    }

    void add(int images) {
        pending.addAndGet(images);
    }

    void release(int images) {
        pending.addAndGet(-images);
        grant();
    }

    int count() {
        return pending.get();
    }

    /** Completes once the count is at most the limit (at once when it is). */
    CompletionStage<Void> room() {
        if (unlimited || pending.get() <= limit) {
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
            while (!waiting.isEmpty() && (unlimited || pending.get() <= limit)) {
                granted.add(waiting.poll());
            }
        }
        granted.forEach(f -> f.complete(null));
    }
}
