package org.diffusionworker.worker;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The rows of a batch in progress, as the scheduler weighs them when waiting images ask to join it
 * ({@link DynamicBatcher#join}): by class, and by tenant within the first class.
 */
final class RowsInProgress {

    private final FairShares shares;
    private int total;
    private int firstRank = Integer.MAX_VALUE;
    private final Map<Integer, Map<String, Integer>> byRank = new HashMap<>();

    RowsInProgress(FairShares shares, List<Batch.Slice> slices, long now) {
        this.shares = shares;
        for (Batch.Slice s : slices) {
            Scheduling scheduling = s.job().request().scheduling();
            add(shares.rank(scheduling.priority(), now - s.job().receivedNanos()), scheduling.tenant(), s.size());
        }
    }

    /** Images in the batch. */
    int total() {
        return total;
    }

    void add(int rank, String tenant, int images) {
        total += images;
        firstRank = Math.min(firstRank, rank);
        byRank.computeIfAbsent(rank, r -> new HashMap<>()).merge(tenant, images, Integer::sum);
    }

    /**
     * Whether a request of {@code tenant} ranked {@code rank} goes before these rows: a higher class than all, or
     * below its weighted share of the first class.
     */
    boolean goesBefore(String tenant, int rank) {
        if (total == 0 || rank > firstRank) {
            return false;
        }
        if (rank < firstRank) {
            return true;
        }
        Map<String, Integer> tenants = byRank.get(rank);
        int rows = 0;
        double weights = tenants.containsKey(tenant) ? 0 : shares.weight(tenant);
        for (Map.Entry<String, Integer> e : tenants.entrySet()) {
            rows += e.getValue();
            weights += shares.weight(e.getKey());
        }
        return tenants.getOrDefault(tenant, 0) < rows * shares.weight(tenant) / weights;
    }
}
