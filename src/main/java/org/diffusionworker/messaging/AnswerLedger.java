package org.diffusionworker.messaging;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.eclipse.microprofile.reactive.messaging.Message;

/**
 * The request records this worker holds, per partition in the order they were read, and the answers made for them.
 * An answer leaves only together with the offsets of its partition ({@link #drain}): in a partition's order, once every
 * record read before it is answered too. So a transaction carries an event exactly when it commits its record's
 * offset, and a worker cut off from the group cannot make an event visible that the record's next owner makes again.
 *
 * <p>Records of partitions not assigned to this worker are refused ({@link #receive}): after a revocation, a record
 * the consumer had already handed over belongs to the partition's next owner.
 */
final class AnswerLedger {

    /**
     * What answers one record: the messages to send in its transaction (its event, and a dead letter), and a future
     * completed when they are committed, or failed when they never will be (the partition was lost).
     */
    record Answer(List<Message<byte[]>> messages, CompletableFuture<Void> committed) {
        Answer {
            messages = List.copyOf(messages);
        }

        Answer(List<Message<byte[]>> messages) {
            this(messages, new CompletableFuture<>());
        }
    }

    /** Answers that may leave now, in partition order, and the offsets to commit with them. */
    record Drain(List<Answer> answers, Map<TopicPartition, OffsetAndMetadata> offsets, ConsumerGroupMetadata group,
            long version) {
        boolean isEmpty() {
            return answers.isEmpty();
        }
    }

    /** A record held: its request id (null when it had no valid one) and, once made, its answer. */
    private static final class Held {
        final String requestId;
        Answer answer;

        Held(String requestId) {
            this.requestId = requestId;
        }
    }

    /** Raised into an answer's future when its partition left this worker before the answer was committed. */
    static final class PartitionLost extends RuntimeException {
        PartitionLost(TopicPartition partition) {
            super("partition " + partition + " was revoked before the answer was committed; its next owner answers");
        }
    }

    private final Map<TopicPartition, TreeMap<Long, Held>> partitions = new HashMap<>();
    private int answersHeld;
    /**
     * The consumer's group membership when it was last given partitions. Offsets are committed under it: a worker the
     * group has moved on from is refused by the group coordinator (KIP-447), and its transaction aborts.
     */
    private ConsumerGroupMetadata group;
    /** Counts every change a waiting committer cares about (an answer, an assignment, a revocation). */
    private long changes;

    /**
     * The consumer was given {@code assigned} (possibly none, in a cooperative rebalance) as a member of
     * {@code group}: their records are taken from now on, and answers are committed under that membership.
     */
    synchronized void assign(Collection<TopicPartition> assigned, ConsumerGroupMetadata group) {
        for (TopicPartition tp : assigned) {
            partitions.putIfAbsent(tp, new TreeMap<>());
        }
        this.group = group;
        changed();
    }

    /** The group membership answers are committed under; null before the first assignment. */
    synchronized ConsumerGroupMetadata group() {
        return group;
    }

    private void changed() {
        changes++;
        notifyAll();
    }

    /**
     * The consumer lost {@code revoked}: every record held of them is forgotten, its answer (if any) failed with
     * {@link PartitionLost}. Returns the request ids of those records that no record of a partition still assigned
     * shares (a request sent twice under different keys may sit in two partitions), for the worker to drop.
     */
    synchronized Set<String> revoke(Collection<TopicPartition> revoked) {
        Set<String> dropped = new HashSet<>();
        for (TopicPartition tp : revoked) {
            TreeMap<Long, Held> held = partitions.remove(tp);
            if (held == null) {
                continue;
            }
            for (Held h : held.values()) {
                if (h.requestId != null) {
                    dropped.add(h.requestId);
                }
                if (h.answer != null) {
                    answersHeld--;
                    h.answer.committed().completeExceptionally(new PartitionLost(tp));
                }
            }
        }
        for (TreeMap<Long, Held> kept : partitions.values()) {
            for (Held h : kept.values()) {
                dropped.remove(h.requestId);
            }
        }
        changed();
        return dropped;
    }

    /**
     * Holds the record at {@code offset} of {@code tp}. False when it must be left alone: its partition is not
     * assigned here (revoked after the consumer read it) or the record is already held (read again after a reset).
     */
    synchronized boolean receive(TopicPartition tp, long offset, String requestId) {
        TreeMap<Long, Held> held = partitions.get(tp);
        if (held == null || held.containsKey(offset)) {
            return false;
        }
        held.put(offset, new Held(requestId));
        return true;
    }

    /**
     * Records the answer of the record at {@code offset}. False (and the answer's future failed) when the record is
     * no longer held here (its partition was revoked meanwhile) or was answered already.
     */
    synchronized boolean answer(TopicPartition tp, long offset, Answer answer) {
        TreeMap<Long, Held> held = partitions.get(tp);
        Held h = held == null ? null : held.get(offset);
        if (h == null) {
            answer.committed().completeExceptionally(new PartitionLost(tp));
            return false;
        }
        if (h.answer != null) {
            // The first answer stands; a second one (a defect) must not replace what may be in a transaction now.
            answer.committed().completeExceptionally(new IllegalStateException("the record at " + tp + "@" + offset
                    + " was already answered"));
            return false;
        }
        h.answer = answer;
        answersHeld++;
        changed();
        return true;
    }

    /**
     * Takes, partition by partition, the answered records at the head of each (up to {@code maxMessages} messages in
     * all, at least one answer), with each partition's next offset to commit and the group generation they were
     * taken under. Taken records stay held until {@link #committed}: after a failed transaction the next drain takes
     * them again.
     */
    synchronized Drain drain(int maxMessages) {
        List<Answer> answers = new ArrayList<>();
        Map<TopicPartition, OffsetAndMetadata> offsets = new LinkedHashMap<>();
        int messages = 0;
        for (Map.Entry<TopicPartition, TreeMap<Long, Held>> partition : partitions.entrySet()) {
            for (Map.Entry<Long, Held> record : partition.getValue().entrySet()) {
                Answer answer = record.getValue().answer;
                if (answer == null || (!answers.isEmpty() && messages + answer.messages().size() > maxMessages)) {
                    break;
                }
                answers.add(answer);
                messages += answer.messages().size();
                offsets.put(partition.getKey(), new OffsetAndMetadata(record.getKey() + 1));
            }
        }
        return new Drain(answers, offsets, group, changes);
    }

    /** The drained answers were committed: their records leave the ledger and their futures complete. */
    synchronized void committed(Drain drain) {
        for (Map.Entry<TopicPartition, OffsetAndMetadata> commit : drain.offsets().entrySet()) {
            TreeMap<Long, Held> held = partitions.get(commit.getKey());
            if (held == null) {
                continue;
            }
            Iterator<Map.Entry<Long, Held>> it = held.headMap(commit.getValue().offset()).entrySet().iterator();
            while (it.hasNext()) {
                if (it.next().getValue().answer != null) {
                    answersHeld--;
                }
                it.remove();
            }
        }
        drain.answers().forEach(a -> a.committed().complete(null));
        changed();
    }

    /** Whether an answer may leave now (it is answered, and so is every earlier record of its partition). */
    synchronized boolean hasAnswersToCommit() {
        return answersHeld > 0 && !drain(1).isEmpty();
    }

    /** Records held (answered or not), for the dashboard. */
    synchronized int recordsHeld() {
        return partitions.values().stream().mapToInt(Map::size).sum();
    }

    /**
     * Waits up to {@code millis} for a change after the drain that saw {@code version} (returns at once if one came
     * already), so that an answer made while a transaction ran is never slept over.
     */
    synchronized void awaitChange(long version, long millis) throws InterruptedException {
        long deadline = System.nanoTime() + millis * 1_000_000L;
        while (changes == version) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return;
            }
            java.util.concurrent.TimeUnit.NANOSECONDS.timedWait(this, left);
        }
    }

    /** Wakes a committer waiting in {@link #awaitChange} (it is asked to stop or to flush). */
    synchronized void wake() {
        changed();
    }

    /**
     * Waits until no answer that may leave is left uncommitted (answers behind a record that will not be answered,
     * because the worker stopped first, do not count: they stay for the record's next owner); false when
     * {@code millis} ran out first.
     */
    synchronized boolean awaitNothingToCommit(long millis) throws InterruptedException {
        long deadline = System.nanoTime() + millis * 1_000_000L;
        while (hasAnswersToCommit()) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            java.util.concurrent.TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        return true;
    }
}
