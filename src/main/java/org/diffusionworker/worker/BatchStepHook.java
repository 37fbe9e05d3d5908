package org.diffusionworker.worker;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import org.diffusionworker.generation.SamplingProgress;

/**
 * The sample stage's per-step hook for one batch: after each step it counts the step for every request in the batch
 * (their PROGRESS events) and stops the batch at shutdown; before each step it names the images
 * of requests that ended meanwhile (canceled, or failed elsewhere), which then leave the batch.
 *
 * <p>It runs between two forward passes on the inference thread, so the common case costs a few reads per request.
 */
final class BatchStepHook implements SamplingProgress {

    /** Thrown to stop a batch between two steps (shutdown past its grace period). */
    static final class Aborted extends RuntimeException {
        Aborted() {
            super("batch aborted at shutdown", null, false, false);
        }
    }

    private final List<Batch.Slice> slices;
    private final WorkerListener listener;
    private final AtomicBoolean abort;
    private final LongSupplier clock;
    /** Slices whose images left the batch. */
    private final boolean[] gone;
    private final BitSet leaving = new BitSet();
    private int stepsDone;
    private long hookNanos;

    BatchStepHook(List<Batch.Slice> slices, WorkerListener listener, AtomicBoolean abort, LongSupplier clock) {
        this.slices = new ArrayList<>(slices);
        this.listener = listener;
        this.abort = abort;
        this.clock = clock;
        this.gone = new boolean[slices.size()];
    }

    @Override
    public void onStep(int done, int total, long stepNanos) {
        long start = clock.getAsLong();
        stepsDone = done;
        if (abort.get()) {
            throw new Aborted();
        }
        for (int i = 0; i < slices.size(); i++) {
            if (!gone[i]) {
                slices.get(i).job().stepDone(slices.get(i).size(), stepNanos, start);
            }
        }
        hookNanos += clock.getAsLong() - start;
    }

    @Override
    public BitSet leaving() {
        long start = clock.getAsLong();
        boolean changed = false;
        int offset = 0;
        for (int i = 0; i < slices.size(); i++) {
            Batch.Slice slice = slices.get(i);
            if (!gone[i] && slice.job().isEnded()) {
                gone[i] = true;
                leaving.set(offset, offset + slice.size());
                changed = true;
            }
            offset += slice.size();
        }
        hookNanos += clock.getAsLong() - start;
        return changed || !leaving.isEmpty() ? leaving : null;
    }

    /** Whether slice {@code i}'s images left the batch. */
    boolean left(int i) {
        return gone[i];
    }

    /** Steps the batch has done so far. */
    int stepsDone() {
        return stepsDone;
    }

    /** Time spent in this hook so far (what the per-step cost is measured from). */
    long hookNanos() {
        return hookNanos;
    }
}
