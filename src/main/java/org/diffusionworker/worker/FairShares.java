package org.diffusionworker.worker;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The scheduler's bookkeeping of who is owed images, by start-time fair queueing (Goyal, Vin and Cheng 1996) per
 * class: a request's tag is the later of its class's virtual time and its tenant's previous finish tag; its finish tag
 * adds its images over the tenant's weight; the class's virtual time is the tag last dispatched. The smallest tag goes
 * first, so a busy tenant's backlog does not delay another tenant by more than about one batch, weights divide the
 * images, and a tenant idle for a while saves no credit. And the classes: a request that waited
 * {@link WorkerSettings.Fairness#maxStarvation()} ranks above every class.
 *
 * <p>Not thread-safe: the {@link DynamicBatcher} calls it under its lock.
 */
final class FairShares {

    /** The rank of a starved request: before every class. */
    static final int STARVED = -1;
    /** Forget the tenants whose finish tag the virtual time has passed once a class remembers this many. */
    private static final int REMEMBERED_TENANTS = 4096;

    private final WorkerSettings.Fairness fairness;
    private final long maxStarvationNanos;
    private final double[] virtualTime = new double[Priority.values().length];
    private final List<Map<String, Double>> lastFinish = new ArrayList<>();

    FairShares(WorkerSettings.Fairness fairness) {
        this.fairness = fairness;
        this.maxStarvationNanos = fairness.maxStarvation().toNanos();
        for (int i = 0; i < Priority.values().length; i++) {
            lastFinish.add(new HashMap<>());
        }
    }

    /** The start tag of {@code images} new images of {@code scheduling}'s tenant; its finish tag moves past them. */
    double tag(Scheduling scheduling, int images) {
        int c = scheduling.priority().ordinal();
        Map<String, Double> finishes = lastFinish.get(c);
        double start = Math.max(virtualTime[c], finishes.getOrDefault(scheduling.tenant(), 0.0));
        finishes.put(scheduling.tenant(), start + (double) images / fairness.share(scheduling.tenant()).weight());
        if (finishes.size() > REMEMBERED_TENANTS) {
            // A tenant whose finish tag the virtual time has passed is as if new: forgetting it changes nothing.
            finishes.values().removeIf(finish -> finish <= virtualTime[c]);
        }
        return start;
    }

    /** Images tagged {@code tag} of class {@code priority} went into a batch: the class's virtual time follows. */
    void dispatched(Priority priority, double tag) {
        int c = priority.ordinal();
        virtualTime[c] = Math.max(virtualTime[c], tag);
    }

    /** Where a request of {@code priority} that has waited {@code waitedNanos} ranks: lower goes first. */
    int rank(Priority priority, long waitedNanos) {
        return priority != Priority.HIGH && waitedNanos >= maxStarvationNanos ? STARVED : priority.ordinal();
    }

    /** {@code tenant}'s weight within its class. */
    int weight(String tenant) {
        return fairness.share(tenant).weight();
    }

    /** Images a batch in progress may hold beyond the largest batch for requests that go before its rows. */
    int overtakeImages() {
        return fairness.overtakeImages();
    }

    /** Images of {@code tenant} allowed in flight at once; 0 for no cap. */
    int cap(String tenant) {
        return fairness.share(tenant).maxImagesInFlight();
    }
}
