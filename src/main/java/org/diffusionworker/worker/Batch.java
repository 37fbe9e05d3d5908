package org.diffusionworker.worker;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What the batcher hands an inference thread: images that share a forward pass, as slices of requests in arrival
 * order, and requests whose deadline passed while they waited (to be answered, not run).
 *
 * @param oldestWaitNanos how long the oldest image of the batch waited in the queue
 */
record Batch(BatchKey key, List<Slice> slices, List<Job> expired, long oldestWaitNanos) {

    Batch {
        slices = List.copyOf(slices);
        expired = List.copyOf(expired);
    }

    /** Images {@code [from, to)} of one job. */
    record Slice(Job job, int from, int to) {
        int size() {
            return to - from;
        }
    }

    int images() {
        return slices.stream().mapToInt(Slice::size).sum();
    }

    Set<Job> jobs() {
        Set<Job> jobs = new LinkedHashSet<>();
        slices.forEach(s -> jobs.add(s.job()));
        return jobs;
    }
}
