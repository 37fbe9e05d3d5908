package org.diffusionworker.worker;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The queue and its scheduler. Groups waiting images into batches the way Triton's dynamic batcher does: a batch goes
 * out as soon as it is full ({@code maxBatchImages}), or when the first request in line has waited
 * {@code maxQueueDelay}, whichever comes first. A request larger than a batch is split; its remainder keeps its place.
 *
 * <p>Who is first in line: the highest {@link Priority} waiting (a request that waited
 * {@link WorkerSettings.Fairness#maxStarvation()} goes before every class), and within a class the tenants share the
 * images by weight ({@link FairShares}). Compatible requests of any class and tenant still share a batch: a batch is
 * filled, in line order, from the group of the first request in line (or any group of its class that can fill a
 * batch at once).
 *
 * <p>Admission: a batch is formed only while fewer than {@code maxAdmittedImages} images are admitted (dispatched in
 * batches and not yet answered: sampled, encoded, uploaded), and a tenant's capped images in flight
 * ({@link WorkerSettings.TenantShare#maxImagesInFlight()}) are not exceeded. Requests taken beyond that wait here,
 * where they are seen and scheduled: the queue is bounded by the requests the worker takes, not by images.
 *
 * <p>Thread-safe: requests are added from the consumer side and batches taken by one or more inference threads.
 */
final class DynamicBatcher {

    private final int maxBatchImages;
    private final long maxDelayNanos;
    private final BatchingPolicy policy;
    private final int maxAdmittedImages;
    private final FairShares shares;
    private final WaitingLine order;
    private final LongSupplier clock;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    /** Waiting requests (a partly dispatched request stays where it was); put in line order at each poll. */
    private final WaitingRequests queue = new WaitingRequests();
    private boolean closed;
    /** Stopping: every waiting image of a started request goes out at once, and takers get null once none is left. */
    private boolean draining;
    private long sequence;
    /** Each job's tag, kept while it is in flight (a retried slice keeps its place). */
    private final Map<Job, Double> tags = new IdentityHashMap<>();
    /** Images dispatched and not yet answered: in all, per tenant, per job. */
    private final AdmittedImages admitted;
    /** Set by each poll: how long until the first in line is due (Long.MAX_VALUE when none may go now). */
    private long firstDueNanos;

    DynamicBatcher(int maxBatchImages, java.time.Duration maxQueueDelay, BatchingPolicy policy, LongSupplier clock) {
        this(maxBatchImages, maxQueueDelay, policy, Integer.MAX_VALUE, WorkerSettings.Fairness.defaults(), clock);
    }

    DynamicBatcher(int maxBatchImages, java.time.Duration maxQueueDelay, BatchingPolicy policy, int maxAdmittedImages,
            WorkerSettings.Fairness fairness, LongSupplier clock) {
        if (maxBatchImages < 1) {
            throw new IllegalArgumentException("maxBatchImages must be at least 1, got " + maxBatchImages);
        }
        this.maxBatchImages = maxBatchImages;
        this.maxDelayNanos = maxQueueDelay.toNanos();
        this.policy = policy;
        this.maxAdmittedImages = maxAdmittedImages;
        this.shares = new FairShares(fairness);
        this.order = new WaitingLine(shares);
        this.admitted = new AdmittedImages(maxAdmittedImages, shares);
        this.clock = clock;
    }

    /**
     * Queues all images of {@code job}. Its wait counts from when the worker received it (not from now: the look-up
     * for an existing result comes first).
     */
    void add(Job job) {
        enqueue(job, 0, job.count(), false);
    }

    /**
     * Queues images {@code [from, to)} of {@code job} again, after the batch that held them failed; they keep the
     * job's place in line, and are no longer admitted.
     */
    void retry(Job job, int from, int to) {
        enqueue(job, from, to, true);
    }

    private void enqueue(Job job, int from, int to, boolean again) {
        lock.lock();
        try {
            if (closed) {
                throw new IllegalStateException("the batcher is closed");
            }
            Double tag = tags.get(job);
            if (tag == null) {
                tag = shares.tag(job.request().scheduling(), job.count());
                tags.put(job, tag);
            }
            if (again) {
                admitted.release(job, to - from);
            }
            queue.add(new Pending(job, BatchKey.of(job, policy), job.receivedNanos(), from, to, tag, sequence++));
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Images waiting for a batch. */
    int queuedImages() {
        return locked(queue::images);
    }

    /** Images dispatched in batches and not yet answered. */
    int admittedImages() {
        return locked(admitted::total);
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
                    changed.await(); // an arrival, a close
                } else {
                    // Woken early by an arrival (which may fill a batch), an answer (room) or a close; else when the
                    // first in line is due, and at least once a second: a request may cross into starvation (the
                    // line changes) or past its deadline while none of that happens.
                    changed.awaitNanos(Math.max(1, Math.min(firstDueNanos, 1_000_000_000L)));
                }
            }
            return null;
        } finally {
            lock.unlock();
        }
    }

    /** The batch due at {@code nowNanos}, or null when none is (for tests that drive the clock). */
    Batch poll(long nowNanos) {
        return locked(() -> closed ? null : pollLocked(nowNanos));
    }

    /**
     * Closes the batcher: takers get null, and the requests still waiting are removed and returned (whole or the
     * rest of a split one), for the caller to leave unanswered or fail.
     */
    List<Job> close() {
        return locked(() -> {
            closed = true;
            List<Job> left = queue.remove(p -> true);
            changed.signalAll();
            return left;
        });
    }

    /**
     * Stopping: the requests that have started (images of theirs were dispatched) send every waiting image out
     * without waiting for a batch to fill or for admission; those that never started are removed and returned, for
     * the caller to leave unanswered (their records go to the partition's next owner). Once none is left the batcher
     * closes and takers get null. Images queued again meanwhile (a retry) still go out.
     */
    List<Job> drain() {
        return locked(() -> {
            draining = true;
            List<Job> notStarted = queue.remove(p -> !admitted.started(p.job));
            changed.signalAll();
            return notStarted;
        });
    }

    /** Removes every waiting image of {@code job} (after it failed in another batch). */
    void discard(Job job) {
        lockedRun(() -> removeQueued(job));
    }

    /**
     * {@code job} ended (answered or dropped): its waiting images leave the queue and its admitted ones make room.
     */
    void finished(Job job) {
        lockedRun(() -> {
            removeQueued(job);
            admitted.finished(job);
            tags.remove(job);
            changed.signalAll();
        });
    }

    /** {@code work}'s answer, computed holding the lock. */
    private <T> T locked(Supplier<T> work) {
        lock.lock();
        try {
            return work.get();
        } finally {
            lock.unlock();
        }
    }

    private void lockedRun(Runnable work) {
        locked(() -> {
            work.run();
            return null;
        });
    }

    private void removeQueued(Job job) {
        queue.remove(p -> p.job == job);
    }

    /** The waiting requests that may be dispatched now (in queue order): none while admission is full. */
    private List<Pending> admissible() {
        List<Pending> line = new ArrayList<>();
        if (!admissionFull()) {
            for (Pending p : queue) {
                if (tenantRoom(p.tenant) > 0) {
                    line.add(p);
                }
            }
        }
        return line;
    }

    private boolean admissionFull() {
        return !draining && admitted.full();
    }

    /** Images of {@code tenant} that may still be dispatched (stopping: all of a started request's). */
    private int tenantRoom(String tenant) {
        return draining ? Integer.MAX_VALUE : admitted.tenantRoom(tenant);
    }

    private int rank(Pending p, long now) {
        return order.rank(p, now);
    }

    private Batch pollLocked(long now) {
        firstDueNanos = Long.MAX_VALUE; // none in line (nothing, or nothing admissible)
        List<Job> expired = removeExpired(now);
        List<Pending> line = admissible();
        if (line.isEmpty()) {
            return expired.isEmpty() ? null : new Batch(null, List.of(), expired, 0);
        }
        Map<Pending, Double> lineTags = order.sort(line, now);
        Pending first = line.get(0);
        BatchKey key = null;
        if (draining || now - first.enqueuedNanos >= maxDelayNanos) {
            key = first.key;
        } else {
            // Not due yet: a group of the first one's class that can already fill a batch goes now (taken in line
            // order); a lower class's full group does not go before the first in line.
            Map<BatchKey, Integer> images = new HashMap<>();
            Map<String, Integer> room = new HashMap<>();
            for (Pending p : line) {
                int n = Math.min(p.remaining(), room.computeIfAbsent(p.tenant, this::tenantRoom));
                room.merge(p.tenant, -n, Integer::sum);
                images.merge(p.key, n, Integer::sum);
            }
            int firstRank = rank(first, now);
            for (Pending p : line) {
                if (rank(p, now) != firstRank) {
                    break;
                }
                if (images.get(p.key) >= maxBatchImages) {
                    key = p.key;
                    break;
                }
            }
        }
        if (key == null) {
            firstDueNanos = first.enqueuedNanos + maxDelayNanos - now;
            return expired.isEmpty() ? null : new Batch(null, List.of(), expired, 0);
        }
        return dispatch(key, line, lineTags, now, expired);
    }

    /**
     * Images that may join a batch in progress of {@code key} at its next step, or null when none may (then the batch
     * finishes what it holds, and the next one is formed by {@link #take()}). They join only while the first in line
     * belongs to the batch's group, so a batch in progress never keeps a request of another group waiting; they are
     * taken in line order up to the largest batch, and beyond it by up to {@link FairShares#overtakeImages()} for a
     * request that goes before the batch's rows: a higher class than all of them, or a tenant below its weighted share
     * of the rows of that class. The returned batch may hold only expired requests.
     *
     * @param inProgress the slices being sampled in that batch now
     */
    Batch join(BatchKey key, List<Batch.Slice> inProgress) {
        lock.lock();
        try {
            if (closed || draining) {
                return null;
            }
            long now = clock.getAsLong();
            List<Job> expired = removeExpired(now);
            List<Pending> line = admissible();
            Batch none = expired.isEmpty() ? null : new Batch(null, List.of(), expired, 0);
            if (line.isEmpty()) {
                return none;
            }
            Map<Pending, Double> lineTags = order.sort(line, now);
            if (!line.get(0).key.equals(key)) {
                return none;
            }
            Batch joining = fill(key, line, lineTags, now, expired, new RowsInProgress(shares, inProgress, now), true);
            return joining.slices().isEmpty() ? none : joining;
        } finally {
            lock.unlock();
        }
    }

    private Batch dispatch(BatchKey key, List<Pending> line, Map<Pending, Double> lineTags, long now,
            List<Job> expired) {
        return fill(key, line, lineTags, now, expired, new RowsInProgress(shares, List.of(), now), false);
    }

    /**
     * The images of {@code key}'s group, taken in line order up to the largest batch beside {@code rows}; when
     * {@code overtaking}, beyond it by up to {@link FairShares#overtakeImages()} for a request that goes before them.
     */
    private Batch fill(BatchKey key, List<Pending> line, Map<Pending, Double> lineTags, long now, List<Job> expired,
            RowsInProgress rows, boolean overtaking) {
        List<Batch.Slice> slices = new ArrayList<>();
        long oldestWait = 0;
        for (Pending p : line) {
            if (!p.key.equals(key)) {
                continue;
            }
            int room = maxBatchImages - rows.total();
            if (overtaking && rows.goesBefore(p.tenant, rank(p, now))) {
                room = Math.max(room, maxBatchImages + shares.overtakeImages() - rows.total());
            }
            int n = Math.min(Math.min(p.remaining(), room), tenantRoom(p.tenant));
            if (n <= 0) {
                continue;
            }
            slices.add(new Batch.Slice(p.job, p.next, p.next + n));
            oldestWait = Math.max(oldestWait, now - p.enqueuedNanos);
            rows.add(rank(p, now), p.tenant, n);
            take(p, n, lineTags);
        }
        return new Batch(key, slices, expired, oldestWait);
    }

    /** {@code n} images of {@code p} leave the queue for a batch: admitted, and the class's virtual time follows. */
    private void take(Pending p, int n, Map<Pending, Double> lineTags) {
        p.next += n;
        queue.took(p, n);
        admitted.admit(p.job, p.tenant, n);
        shares.dispatched(p.priority, lineTags.get(p));
    }

    /** Requests not yet started whose deadline passed: answered, never run. */
    private List<Job> removeExpired(long now) {
        return queue.remove(p -> p.next == 0 && p.job.isExpired(now));
    }

    @Override
    public String toString() {
        return "DynamicBatcher[max " + maxBatchImages + " images, delay " + TimeUnit.NANOSECONDS.toMillis(maxDelayNanos)
                + " ms, " + policy + ", admitting " + maxAdmittedImages + " images]";
    }
}
