package org.diffusionworker.worker;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The rows of a batch in progress, as the scheduler weighs them when waiting images ask to join it
 * ({@link DynamicBatcher#join}): by class, and by tenant within each class.
 */
final class RowsInProgress {

    private final FairShares shares;
    private int total;
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
        byRank.computeIfAbsent(rank, r -> new HashMap<>()).merge(tenant, images, Integer::sum);
    }

    /**
     * Whether a request of {@code tenant} ranked {@code rank} goes before some of these rows, as it would have been
     * scheduled before them: rows of a lower class are in the batch, or it is below its tenant's weighted share of its
     * own class's rows. (A flood's batch that also holds a late {@code high} request still lets another tenant in.)
     */
    boolean goesBefore(String tenant, int rank) {
        for (int r : byRank.keySet()) {
            if (r > rank) {
                return true;
            }
        }
        Map<String, Integer> tenants = byRank.get(rank);
        if (tenants == null) {
            return false;
        }
        int rows = 0;
        double weights = tenants.containsKey(tenant) ? 0 : shares.weight(tenant);
        for (Map.Entry<String, Integer> e : tenants.entrySet()) {
            rows += e.getValue();
            weights += shares.weight(e.getKey());
        }
        return tenants.getOrDefault(tenant, 0) < rows * shares.weight(tenant) / weights;
    }
}
