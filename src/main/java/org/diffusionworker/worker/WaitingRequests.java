package org.diffusionworker.worker;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.Predicate;

/**
 * The requests waiting in the {@link DynamicBatcher}, in the order they were queued (a partly dispatched request stays
 * where it was), and a count of their images. Guarded by the batcher's lock.
 */
final class WaitingRequests implements Iterable<Pending> {

    private final List<Pending> queue = new ArrayList<>();
    private int images;

    void add(Pending p) {
        queue.add(p);
        images += p.remaining();
    }

    /** Images waiting. */
    int images() {
        return images;
    }

    boolean isEmpty() {
        return queue.isEmpty();
    }

    /** {@code n} images of {@code p} left for a batch ({@code p.next} already moved on); once none is left, so does it. */
    void took(Pending p, int n) {
        images -= n;
        if (p.remaining() == 0) {
            queue.remove(p);
        }
    }

    /** Removes the requests that {@code which} selects and returns their jobs, in queue order. */
    List<Job> remove(Predicate<Pending> which) {
        List<Job> removed = new ArrayList<>();
        for (Iterator<Pending> it = queue.iterator(); it.hasNext(); ) {
            Pending p = it.next();
            if (which.test(p)) {
                removed.add(p.job);
                images -= p.remaining();
                it.remove();
            }
        }
        return removed;
    }

    @Override
    public Iterator<Pending> iterator() {
        return queue.iterator();
    }
}
