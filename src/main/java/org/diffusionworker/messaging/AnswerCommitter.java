package org.diffusionworker.messaging;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.common.errors.FencedInstanceIdException;
import org.apache.kafka.common.errors.IllegalGenerationException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.InvalidTxnStateException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.errors.UnknownMemberIdException;

/**
 * Publishes terminal events in Kafka transactions that also commit their requests' offsets (consume-transform-produce,
 * KIP-447): an event becomes visible to a {@code read_committed} consumer exactly when its record's offset is
 * committed, under the group membership that owned the record's partition. A worker the group has moved on from (cut
 * off by the network past its session timeout) has its transaction refused by the group coordinator and aborted, so
 * the record's next owner makes the only answer anyone sees.
 *
 * <p>One thread runs one transaction at a time, with every answer ready at its start ({@link AnswerLedger#drain});
 * answers made meanwhile wait for the next, so a busy worker groups many events in one transaction.
 */
@ApplicationScoped
class AnswerCommitter {

    private static final System.Logger LOG = System.getLogger(AnswerCommitter.class.getName());
    /** Events in one transaction at most (the emitter's buffer holds more). */
    static final int MAX_MESSAGES_PER_TRANSACTION = 200;
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

    @Inject
    AnswerTransactions transactions;

    @Inject
    MeterRegistry registry;

    @Inject
    WorkerConnection connection;

    private final AnswerLedger ledger = new AnswerLedger();

    private volatile Thread thread;
    private volatile boolean running;
    /** The membership a transaction was last refused under: nothing is tried again under it. */
    private volatile ConsumerGroupMetadata fencedUnder;
    /** Transactions finished (committed or not); guarded by {@link #rounds}'s monitor. */
    private final long[] rounds = new long[1];
    private Counter committed;
    private Counter aborted;
    private Counter fenced;
    private Timer duration;
    private DistributionSummary size;
    private Gauge held;

    /** The records held and their answers (a method, not a field: callers hold a CDI proxy of this bean). */
    AnswerLedger ledger() {
        return ledger;
    }

    synchronized void start() {
        if (thread != null) {
            return;
        }
        committed = counter("committed");
        aborted = counter("aborted");
        fenced = counter("fenced");
        duration = Timer.builder("diffusion.answer.transaction")
                .description("Time to publish one transaction of terminal events with their requests' offsets")
                .publishPercentiles(0.5, 0.95, 0.99).register(registry);
        size = DistributionSummary.builder("diffusion.answer.transaction.events")
                .description("Terminal events per transaction").register(registry);
        // Removed again in stop(): a registry that outlives this application (a second one in the same JVM, as in
        // the tests) would otherwise hand the next one this gauge, reading a ledger nobody fills.
        held = Gauge.builder("diffusion.answers.held", ledger, AnswerLedger::recordsHeld)
                .description("Request records held by this worker and not yet committed (answered or not)")
                .strongReference(true).register(registry);
        running = true;
        thread = new Thread(this::loop, "answer-committer");
        thread.setDaemon(true);
        thread.start();
    }

    private Counter counter(String result) {
        return Counter.builder("diffusion.answer.transactions").tag("result", result)
                .description("Transactions of terminal events: committed; aborted (retried); fenced (this worker no"
                        + " longer owned the partitions: its answers are left to their next owner)")
                .register(registry);
    }

    /** Commits what is ready and stops, waiting at most {@code timeout} for the answers held to be committed. */
    boolean stop(Duration timeout) throws InterruptedException {
        boolean drained = ledger.awaitNothingToCommit(timeout.toMillis());
        Thread t;
        synchronized (this) {
            running = false;
            t = thread;
        }
        ledger.wake();
        if (t != null) {
            t.join(TimeUnit.SECONDS.toMillis(10));
        }
        Gauge g = held;
        if (g != null) {
            registry.remove(g);
        }
        return drained;
    }

    /**
     * Runs (at least) one more transaction with what may leave now, waiting at most {@code timeout}: before partitions
     * are revoked, so that their answers made so far are committed by this worker rather than made again. Returns at
     * once when nothing may leave, or when the membership was already refused (the partitions are lost, not revoked).
     */
    void flush(Duration timeout) throws InterruptedException {
        if (thread == null || !running || sameMember(fencedUnder, ledger.group())) {
            return;
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (rounds) {
            long target = rounds[0] + 2; // the one in progress, then one that started after this call
            ledger.wake();
            while (rounds[0] < target && ledger.hasAnswersToCommit()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    LOG.log(Level.WARNING, String.format(
                            "Partitions are being revoked while answers wait for their transaction (%s); those not"
                            + " committed are left to the partitions' next owner", timeout));
                    return;
                }
                TimeUnit.NANOSECONDS.timedWait(rounds, left);
            }
        }
    }

    private void loop() {
        long backoffMs = 0;
        while (running) {
            AnswerLedger.Drain drain = ledger.drain(MAX_MESSAGES_PER_TRANSACTION);
            try {
                if (drain.isEmpty() || drain.group() == null || sameMember(fencedUnder, drain.group())) {
                    // Nothing may leave, or the group refused this membership: wait for an answer or an assignment.
                    ledger.awaitChange(drain.version(), 1000);
                    continue;
                }
            } catch (InterruptedException e) {
                return;
            }
            long start = System.nanoTime();
            try {
                transactions.commit(drain);
                duration.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
                size.record(drain.answers().size());
                committed.increment();
                ledger.committed(drain);
                backoffMs = 0;
            } catch (RuntimeException failure) {
                switch (Failure.of(failure)) {
                    case GROUP_FENCED -> {
                        // The group moved on: its next assignment brings a new membership; the answers still held
                        // then (of partitions kept) are committed under it.
                        fenced.increment();
                        fencedUnder = drain.group();
                        LOG.log(Level.WARNING, String.format(
                                "%d answer(s) not committed: this worker is no longer the group member that owned"
                                + " their partitions (%s, %s). Their next owner answers them.", drain.answers().size(),
                                drain.group(), rootMessage(failure)));
                    }
                    case PRODUCER_FENCED -> {
                        fenced.increment();
                        LOG.log(Level.ERROR, String.format(
                                "The transactional producer was fenced or broken; %d answer(s) not"
                                + " committed. The request channel STOPS now and liveness is DOWN: restart the"
                                + " worker (the records stay uncommitted and are delivered again)",
                                drain.answers().size()), failure);
                        connection.markRequestChannelStopped();
                        running = false;
                    }
                    case TRANSIENT -> {
                        aborted.increment();
                        backoffMs = Math.min(MAX_BACKOFF.toMillis(), Math.max(500, backoffMs * 2));
                        LOG.log(Level.WARNING, String.format(
                                "A transaction of %d answer(s) was aborted (%s); retrying in %d ms",
                                drain.answers().size(), rootMessage(failure), backoffMs));
                        if (!pause(backoffMs)) {
                            return;
                        }
                    }
                }
            } finally {
                synchronized (rounds) {
                    rounds[0]++;
                    rounds.notifyAll();
                }
            }
        }
    }

    /** Sleeps {@code millis} unless stopped first; false when stopped (or interrupted). */
    private boolean pause(long millis) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        try {
            while (running && System.nanoTime() < deadline) {
                Thread.sleep(Math.min(100, Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()))));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
        return running;
    }

    /** Whether two memberships are the same member in the same generation. */
    static boolean sameMember(ConsumerGroupMetadata a, ConsumerGroupMetadata b) {
        return a != null && b != null && a.generationId() == b.generationId() && a.memberId().equals(b.memberId());
    }

    private static String rootMessage(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getClass().getSimpleName() + ": " + root.getMessage();
    }

    /** What a failed transaction means for the answers in it. */
    enum Failure {
        /** The group coordinator refused the offsets: this member's generation is over. */
        GROUP_FENCED,
        /** The producer cannot go on (another instance took its transactional id, or its state is broken). */
        PRODUCER_FENCED,
        /** Anything else (a broker unreachable for a while): aborted, tried again. */
        TRANSIENT;

        static Failure of(Throwable failure) {
            for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
                if (t instanceof ProducerFencedException || t instanceof InvalidProducerEpochException
                        || t instanceof InvalidTxnStateException) {
                    return PRODUCER_FENCED;
                }
                if (t instanceof CommitFailedException || t instanceof IllegalGenerationException
                        || t instanceof UnknownMemberIdException || t instanceof FencedInstanceIdException
                        || t instanceof RebalanceInProgressException) {
                    return GROUP_FENCED;
                }
            }
            return TRANSIENT;
        }
    }
}
