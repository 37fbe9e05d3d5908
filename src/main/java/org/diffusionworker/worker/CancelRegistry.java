package org.diffusionworker.worker;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Cancels remembered by request id, so that a request whose cancel came first (or a redelivery of a canceled one) is
 * answered CANCELED on arrival. Bounded in time ({@code retention}) and in count ({@code capacity}, the oldest
 * forgotten first), because the control topic is open to every producer.
 */
final class CancelRegistry {

    private final long retentionNanos;
    private final int capacity;
    /** Request id to when its cancel came, oldest first; guarded by this. */
    private final LinkedHashMap<String, Long> canceled = new LinkedHashMap<>();
    private long forgotten;

    CancelRegistry(java.time.Duration retention, int capacity) {
        if (retention.isNegative() || retention.isZero()) {
            throw new IllegalArgumentException("cancel retention must be positive, got " + retention);
        }
        if (capacity < 1) {
            throw new IllegalArgumentException("cancel capacity must be at least 1, got " + capacity);
        }
        this.retentionNanos = retention.toNanos();
        this.capacity = capacity;
    }

    /** Remembers a cancel of {@code requestId} that came at {@code nowNanos} (a later cancel renews it). */
    synchronized void remember(String requestId, long nowNanos) {
        expire(nowNanos);
        canceled.remove(requestId);
        canceled.put(requestId, nowNanos);
        while (canceled.size() > capacity) {
            Iterator<String> oldest = canceled.keySet().iterator();
            oldest.next();
            oldest.remove();
            forgotten++;
        }
    }

    /** Whether a cancel of {@code requestId} came within the retention before {@code nowNanos}. */
    synchronized boolean isCanceled(String requestId, long nowNanos) {
        expire(nowNanos);
        return canceled.containsKey(requestId);
    }

    synchronized int size() {
        return canceled.size();
    }

    /** Cancels dropped because the capacity was reached before their retention ended. */
    synchronized long forgottenEarly() {
        return forgotten;
    }

    private void expire(long nowNanos) {
        for (Iterator<Map.Entry<String, Long>> it = canceled.entrySet().iterator(); it.hasNext(); ) {
            if (nowNanos - it.next().getValue() < retentionNanos) {
                return; // insertion order is time order
            }
            it.remove();
        }
    }
}
