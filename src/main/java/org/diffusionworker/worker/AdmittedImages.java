package org.diffusionworker.worker;

import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The images the {@link DynamicBatcher} has dispatched into batches and that are not yet answered (sampled, encoded,
 * uploaded): in all, bounded by {@link WorkerSettings#maxPendingImages()}, and per tenant, bounded by its cap. A job's
 * images make room when it ends; a retried slice's when it is queued again.
 *
 * <p>Not thread-safe: the batcher calls it under its lock.
 */
final class AdmittedImages {

    private final int limit;
    private final FairShares shares;
    private int total;
    private final Map<String, Integer> byTenant = new HashMap<>();
    private final Map<Job, Integer> byJob = new IdentityHashMap<>();
    /** Jobs with images dispatched at least once, until they end. */
    private final Set<Job> started = Collections.newSetFromMap(new IdentityHashMap<>());

    AdmittedImages(int limit, FairShares shares) {
        this.limit = limit;
        this.shares = shares;
    }

    int total() {
        return total;
    }

    /** Whether no batch may be formed now (at least one image is out, and the limit is reached). */
    boolean full() {
        return total > 0 && total >= limit;
    }

    /** Images of {@code tenant} that may still be dispatched under its cap. */
    int tenantRoom(String tenant) {
        int cap = shares.cap(tenant);
        return cap == 0 ? Integer.MAX_VALUE : cap - byTenant.getOrDefault(tenant, 0);
    }

    void admit(Job job, String tenant, int images) {
        total += images;
        byTenant.merge(tenant, images, Integer::sum);
        byJob.merge(job, images, Integer::sum);
        started.add(job);
    }

    /** Whether images of {@code job} were ever dispatched (it has started). */
    boolean started(Job job) {
        return started.contains(job);
    }

    /** {@code images} of {@code job} left their batch without an answer (queued again after a failed batch). */
    void release(Job job, int images) {
        Integer had = byJob.get(job);
        int n = had == null ? 0 : Math.min(had, images);
        if (n == 0) {
            return;
        }
        byJob.computeIfPresent(job, (j, a) -> a - n > 0 ? a - n : null);
        total -= n;
        byTenant.computeIfPresent(job.request().scheduling().tenant(), (t, a) -> a - n > 0 ? a - n : null);
    }

    /** {@code job} ended: all its images make room. */
    void finished(Job job) {
        Integer images = byJob.get(job);
        if (images != null) {
            release(job, images);
        }
        started.remove(job);
    }
}
