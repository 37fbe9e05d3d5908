package org.diffusionworker.worker;

/**
 * A request's images waiting in the {@link DynamicBatcher}: images {@code next} to {@code end} of its job (a request
 * larger than a batch leaves in parts and keeps its place), with what the line is ordered by.
 */
final class Pending {

    final Job job;
    final BatchKey key;
    final long enqueuedNanos;
    final int end;
    final Priority priority;
    final String tenant;
    final double tag;
    final long sequence;
    int next;

    Pending(Job job, BatchKey key, long enqueuedNanos, int from, int end, double tag, long sequence) {
        this.job = job;
        this.key = key;
        this.enqueuedNanos = enqueuedNanos;
        this.next = from;
        this.end = end;
        this.priority = job.request().scheduling().priority();
        this.tenant = job.request().scheduling().tenant();
        this.tag = tag;
        this.sequence = sequence;
    }

    int remaining() {
        return end - next;
    }
}
