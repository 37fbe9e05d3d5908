package org.diffusionworker.worker;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The order of the {@link DynamicBatcher}'s line: starved requests first (oldest first), then by class, then by fair
 * share tag, then by arrival.
 */
final class WaitingLine {

    private final FairShares shares;

    WaitingLine(FairShares shares) {
        this.shares = shares;
    }

    /** Where {@code p} ranks at {@code now}: lower goes first ({@link FairShares#STARVED} before every class). */
    int rank(Pending p, long now) {
        return shares.rank(p.priority, now - p.enqueuedNanos);
    }

    /**
     * Puts {@code waiting} in line. Within a tenant and class the tags are handed out again in the order the requests
     * were received (look-ups may finish out of order), so a tenant's own requests are served first come, first
     * served. Returns each one's tag in line.
     */
    Map<Pending, Double> sort(List<Pending> waiting, long now) {
        Map<Pending, Double> lineTag = new IdentityHashMap<>();
        Map<String, List<Pending>> byTenant = new HashMap<>();
        for (Pending p : waiting) {
            byTenant.computeIfAbsent(rank(p, now) + "/" + p.tenant, k -> new ArrayList<>()).add(p);
        }
        for (List<Pending> own : byTenant.values()) {
            List<Double> ownTags = own.stream().map(p -> p.tag).sorted().toList();
            own.sort(Comparator.<Pending>comparingLong(p -> p.enqueuedNanos).thenComparingLong(p -> p.sequence));
            for (int i = 0; i < own.size(); i++) {
                lineTag.put(own.get(i), ownTags.get(i));
            }
        }
        waiting.sort(Comparator.<Pending>comparingInt(p -> rank(p, now))
                .thenComparingDouble(p -> rank(p, now) == FairShares.STARVED ? p.enqueuedNanos : lineTag.get(p))
                .thenComparingLong(p -> p.enqueuedNanos)
                .thenComparingLong(p -> p.sequence));
        return lineTag;
    }
}
