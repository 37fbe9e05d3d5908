package org.diffusionworker.worker;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * Groups waiting images into batches the way Triton's dynamic batcher does: a batch goes out as soon as it is full
 * ({@code maxBatchImages}), or when the oldest waiting request has waited {@code maxQueueDelay}, whichever comes
 * first. The oldest request's group is served first once it is due, so no request waits much past the delay however
 * busy other groups are (no starvation); before that, any group that can fill a batch goes at once. A request larger
 * than a batch is split; its remainder keeps its place (and age) at the head of the queue.
 *
 * <p>Thread-safe: requests are added from the consumer side and batches taken by one or more inference threads.
 */
final class DynamicBatcher {

    private final int maxBatchImages;
    private final long maxDelayNanos;
    private final BatchingPolicy policy;
    private final LongSupplier clock;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    /** Waiting requests in arrival order; a partly dispatched request stays where it was. */
    private final LinkedList<Pending> queue = new LinkedList<>();
    private int queuedImages;
    private boolean closed;
    /** Stopping: every waiting image goes out at once, and takers get null once none is left. */
    private boolean draining;

    private static final class Pending {
        final Job job;
        final BatchKey key;
        final long enqueuedNanos;
        final int end;
        int next;

        Pending(Job job, BatchKey key, long enqueuedNanos, int from, int end) {
            this.job = job;
            this.key = key;
            this.enqueuedNanos = enqueuedNanos;
            this.next = from;
            this.end = end;
        }

        int remaining() {
            return end - next;
        }
    }

    DynamicBatcher(int maxBatchImages, java.time.Duration maxQueueDelay, BatchingPolicy policy, LongSupplier clock) {
        if (maxBatchImages < 1) {
            throw new IllegalArgumentException("maxBatchImages must be at least 1, got " + maxBatchImages);
        }
        this.maxBatchImages = maxBatchImages;
        this.maxDelayNanos = maxQueueDelay.toNanos();
        this.policy = policy;
        this.clock = clock;
    }

    /**
     * Queues all images of {@code job}. Its wait counts from when the worker received it (not from now: the look-up
     * for an existing result comes first), and it takes its place in the queue by that time, so requests whose
     * look-ups finish out of order are still served in the order they came.
     */
    void add(Job job) {
        enqueue(job, 0, job.count());
    }

    /**
     * Queues images {@code [from, to)} of {@code job} again, after the batch that held them failed; they keep the
     * job's place by arrival.
     */
    void retry(Job job, int from, int to) {
        enqueue(job, from, to);
    }

    private void enqueue(Job job, int from, int to) {
        lock.lock();
        try {
            if (closed) {
                throw new IllegalStateException("the batcher is closed");
            }
            Pending pending = new Pending(job, BatchKey.of(job, policy), job.receivedNanos(), from, to);
            java.util.ListIterator<Pending> it = queue.listIterator(queue.size());
            while (it.hasPrevious()) {
                if (it.previous().enqueuedNanos - pending.enqueuedNanos <= 0) {
                    it.next();
                    break;
                }
            }
            it.add(pending);
            queuedImages += to - from;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Images waiting for a batch. */
    int queuedImages() {
        lock.lock();
        try {
            return queuedImages;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits until a batch is due and returns it, or returns null once the batcher is closed. A returned batch may
     * hold only expired requests.
     */
    Batch take() throws InterruptedException {
        lock.lock();
        try {
            while (!closed) {
                long now = clock.getAsLong();
                Batch batch = pollLocked(now);
                if (batch != null) {
                    return batch;
                }
                if (queue.isEmpty() && draining) {
                    closed = true;
                    changed.signalAll();
                    return null;
                }
                if (queue.isEmpty()) {
                    changed.await();
                } else {
                    // Woken early by an arrival (which may fill a batch) or a close; else when the oldest is due.
                    changed.awaitNanos(Math.max(1, queue.getFirst().enqueuedNanos + maxDelayNanos - now));
                }
            }
            return null;
        } finally {
            lock.unlock();
        }
    }

    /** The batch due at {@code nowNanos}, or null when none is (for tests that drive the clock). */
    Batch poll(long nowNanos) {
        lock.lock();
        try {
            return closed ? null : pollLocked(nowNanos);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Closes the batcher: takers get null, and the requests still waiting are removed and returned (whole or the
     * rest of a split one), for the caller to leave unanswered or fail.
     */
    List<Job> close() {
        lock.lock();
        try {
            closed = true;
            List<Job> left = new ArrayList<>();
            queue.forEach(p -> left.add(p.job));
            queue.clear();
            queuedImages = 0;
            changed.signalAll();
            return left;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Sends every waiting image out without waiting for its batch to fill; once none is left the batcher closes and
     * takers get null. Images queued again meanwhile (a retry) still go out.
     */
    void drain() {
        lock.lock();
        try {
            draining = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Removes every waiting image of {@code job} (after it failed in another batch). */
    void discard(Job job) {
        lock.lock();
        try {
            for (Iterator<Pending> it = queue.iterator(); it.hasNext(); ) {
                Pending p = it.next();
                if (p.job == job) {
                    queuedImages -= p.remaining();
                    it.remove();
                }
            }
        } finally {
            lock.unlock();
        }
    }

    private Batch pollLocked(long now) {
        List<Job> expired = removeExpired(now);
        if (queue.isEmpty()) {
            return expired.isEmpty() ? null : new Batch(null, List.of(), expired, 0);
        }
        Pending oldest = queue.getFirst();
        BatchKey key = null;
        if (draining || now - oldest.enqueuedNanos >= maxDelayNanos) {
            key = oldest.key;
        } else {
            // Not due yet: any group (taken in order of its oldest member) that can already fill a batch goes now.
            Map<BatchKey, Integer> images = new LinkedHashMap<>();
            for (Pending p : queue) {
                if (images.merge(p.key, p.remaining(), Integer::sum) >= maxBatchImages) {
                    key = p.key;
                    break;
                }
            }
        }
        if (key == null) {
            return expired.isEmpty() ? null : new Batch(null, List.of(), expired, 0);
        }
        return dispatch(key, now, expired);
    }

    private Batch dispatch(BatchKey key, long now, List<Job> expired) {
        List<Batch.Slice> slices = new ArrayList<>();
        int filled = 0;
        long oldestWait = 0;
        for (Iterator<Pending> it = queue.iterator(); it.hasNext() && filled < maxBatchImages; ) {
            Pending p = it.next();
            if (!p.key.equals(key)) {
                continue;
            }
            int n = Math.min(p.remaining(), maxBatchImages - filled);
            slices.add(new Batch.Slice(p.job, p.next, p.next + n));
            oldestWait = Math.max(oldestWait, now - p.enqueuedNanos);
            p.next += n;
            filled += n;
            queuedImages -= n;
            if (p.remaining() == 0) {
                it.remove();
            }
        }
        return new Batch(key, slices, expired, oldestWait);
    }

    /** Requests not yet started whose deadline passed: answered, never run. */
    private List<Job> removeExpired(long now) {
        List<Job> expired = new ArrayList<>();
        for (Iterator<Pending> it = queue.iterator(); it.hasNext(); ) {
            Pending p = it.next();
            if (p.next == 0 && p.job.isExpired(now)) {
                expired.add(p.job);
                queuedImages -= p.remaining();
                it.remove();
            }
        }
        return expired;
    }

    @Override
    public String toString() {
        return "DynamicBatcher[max " + maxBatchImages + " images, delay " + TimeUnit.NANOSECONDS.toMillis(maxDelayNanos)
                + " ms, " + policy + "]";
    }
}
