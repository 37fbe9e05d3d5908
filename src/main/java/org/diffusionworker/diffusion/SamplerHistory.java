package org.diffusionworker.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import java.util.ArrayList;
import java.util.List;

/**
 * What a multistep sampler remembers of the last steps of one run: per step its timestep, its predicted x0 and the
 * sample it departed from. Made per run by the loop that drives the sampler (so the sampler itself stays immutable
 * and shared between batches and replicas), and never shared between runs.
 *
 * <p>Every stored array has the batch as its first dimension, shaped like the sample, so that {@link #keepRows}
 * can drop images from a running batch between two steps. Holds at most {@code capacity} steps, the newest first.
 */
public final class SamplerHistory {

    /** One remembered step. {@code departedFrom} may be null when the sampler does not need it. */
    public record Entry(int t, NDArray predictedOriginal, NDArray departedFrom) {}

    private final int capacity;
    private final List<Entry> newestFirst = new ArrayList<>();

    public SamplerHistory(int capacity) {
        if (capacity < 0) {
            throw new IllegalArgumentException("history capacity must be >= 0, got " + capacity);
        }
        this.capacity = capacity;
    }

    /** Steps remembered, at most the capacity. */
    public int size() {
        return newestFirst.size();
    }

    /** The step {@code back} steps ago: 0 is the latest. */
    public Entry get(int back) {
        if (back < 0 || back >= newestFirst.size()) {
            throw new IllegalArgumentException("history holds " + newestFirst.size() + " step(s), asked for " + back
                    + " back");
        }
        return newestFirst.get(back);
    }

    /** Remembers a step as the latest, forgetting the oldest beyond the capacity. */
    public void record(int t, NDArray predictedOriginal, NDArray departedFrom) {
        if (capacity == 0) {
            return;
        }
        newestFirst.add(0, new Entry(t, predictedOriginal, departedFrom));
        if (newestFirst.size() > capacity) {
            newestFirst.remove(newestFirst.size() - 1);
        }
    }

    /**
     * Keeps only the batch rows {@code rowIndices} (int64, {@code [K]}, in the order wanted) of every stored array,
     * as the loop does to its sample when images leave a running batch.
     */
    public void keepRows(NDArray rowIndices) {
        newestFirst.replaceAll(e -> new Entry(e.t(), rows(e.predictedOriginal(), rowIndices),
                rows(e.departedFrom(), rowIndices)));
    }

    /** Moves every stored array to {@code manager}, so that they outlive the step's manager they were made in. */
    public void attach(NDManager manager) {
        for (Entry e : newestFirst) {
            e.predictedOriginal().attach(manager);
            if (e.departedFrom() != null) {
                e.departedFrom().attach(manager);
            }
        }
    }

    private static NDArray rows(NDArray array, NDArray rowIndices) {
        return array == null ? null : array.get(new NDIndex("{}", rowIndices));
    }
}
