package org.diffusionworker.worker;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

/** The model replicas of a worker, each sampling on a daemon thread of its own ({@code inference-<i>}). */
final class ReplicaThreads {

    /** Before the worker starts. */
    static final ReplicaThreads NONE = new ReplicaThreads(List.of());

    private final List<InferenceReplica> replicas;
    private final List<Thread> threads;

    ReplicaThreads(List<InferenceReplica> replicas) {
        this.replicas = List.copyOf(replicas);
        this.threads = IntStream.range(0, this.replicas.size()).mapToObj(i -> {
            Thread thread = new Thread(this.replicas.get(i), "inference-" + i);
            thread.setDaemon(true);
            return thread;
        }).toList();
    }

    void start() {
        threads.forEach(Thread::start);
    }

    /** Waits until every replica has warmed up; false when one failed or the time ran out. */
    boolean awaitWarm(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (InferenceReplica replica : replicas) {
            if (!replica.awaitWarm(Math.max(0, deadline - System.nanoTime()))) {
                return false;
            }
        }
        return true;
    }

    boolean warmedUp() {
        return replicas.stream().allMatch(InferenceReplica::warmedUp);
    }

    boolean alive() {
        return threads.stream().allMatch(Thread::isAlive);
    }

    int size() {
        return replicas.size();
    }

    /** Images the replicas are sampling now. */
    int imagesInHand() {
        return replicas.stream().mapToInt(InferenceReplica::imagesInHand).sum();
    }

    /** Waits until every thread has ended, until {@code deadlineNanos} at the most; true when they all have. */
    boolean join(long deadlineNanos) throws InterruptedException {
        for (Thread thread : threads) {
            long left = deadlineNanos - System.nanoTime();
            if (left > 0) {
                TimeUnit.NANOSECONDS.timedJoin(thread, left);
            }
            if (thread.isAlive()) {
                return false;
            }
        }
        return true;
    }
}
