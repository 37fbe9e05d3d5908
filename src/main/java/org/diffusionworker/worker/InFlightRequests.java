package org.diffusionworker.worker;

import java.lang.System.Logger.Level;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.Optional;

/**
 * The requests taken and not yet answered, by request id, with the copies of each that arrived meanwhile
 * (followers). Ends each exactly once: answered ({@link #finish}) or dropped unanswered while stopping
 * ({@link #abandon}); either way it leaves {@link TakenRequests}.
 */
final class InFlightRequests {

    private static final System.Logger LOG = System.getLogger(InFlightRequests.class.getName());

    /** What {@link #register} did with a request. */
    enum Registration {
        /** A new request: the caller starts making it. */
        NEW,
        /** A copy of one being made with the same parameters: answered with it. */
        FOLLOWS,
        /** Same id, different parameters: the caller answers it with a conflict. */
        CONFLICT
    }

    private final TakenRequests taken;
    private final Answers answers;
    /** Guarded by itself. */
    private final Map<String, Job> jobs = new HashMap<>();
    /** Jobs removed from {@link #jobs} whose callbacks are still running; guarded by {@link #jobs}. */
    private int answering;

    InFlightRequests(TakenRequests taken, Answers answers) {
        this.taken = taken;
        this.answers = answers;
    }

    Registration register(Job job, GenerationRequest request, RequestObserver observer, long now) {
        synchronized (jobs) {
            Job running = jobs.get(request.requestId());
            if (running == null) {
                jobs.put(request.requestId(), job);
                taken.add(1);
                return Registration.NEW;
            }
            if (!running.fingerprint().equals(job.fingerprint())) {
                return Registration.CONFLICT;
            }
            // A redelivery or a second send while the first is being made: one result for both. The copy holds its
            // record unanswered as long as the first, so it is taken as much.
            running.addFollower(new Job.Follower(request, now, observer));
            taken.add(1);
            return Registration.FOLLOWS;
        }
    }

    /** The request in flight under {@code requestId}, if any. */
    Optional<Job> get(String requestId) {
        synchronized (jobs) {
            return Optional.ofNullable(jobs.get(requestId));
        }
    }

    /** Answers the job and whoever followed it, and releases them; a no-op when it already ended. */
    void finish(Job job, Outcome outcome) {
        List<Job.Follower> followers;
        synchronized (jobs) {
            if (!jobs.remove(job.requestId(), job)) {
                return;
            }
            followers = job.followers();
            answering++;
        }
        try {
            taken.release(1 + followers.size());
            answers.deliver(outcome, job.observer(), job.request(), job.receivedNanos());
            for (Job.Follower f : followers) {
                answers.deliver(Answers.forFollower(outcome, f), f.observer(), f.request(), f.receivedNanos());
            }
        } finally {
            synchronized (jobs) {
                answering--;
                // A stopping worker waits for the callbacks too: they hand the events to Kafka.
                jobs.notifyAll();
            }
        }
    }

    /** Drops the job without answering (the worker is stopping); its message stays uncommitted. */
    void abandon(Job job) {
        int followers;
        synchronized (jobs) {
            if (!jobs.remove(job.requestId(), job)) {
                return;
            }
            followers = job.followers().size();
            jobs.notifyAll();
        }
        taken.release(1 + followers);
    }

    /** Waits until every request has been answered or abandoned; false (and a warning) when time ran out first. */
    boolean awaitNone(long deadlineNanos) throws InterruptedException {
        synchronized (jobs) {
            while (!jobs.isEmpty() || answering > 0) {
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                TimeUnit.NANOSECONDS.timedWait(jobs, left);
            }
            if (!jobs.isEmpty()) {
                LOG.log(Level.WARNING, String.format(
                        "Stopping with %d request(s) unanswered (%s); they stay uncommitted and are redelivered",
                        jobs.size(), String.join(", ", jobs.keySet())));
            }
            return jobs.isEmpty();
        }
    }
}
