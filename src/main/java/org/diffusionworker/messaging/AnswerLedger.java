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
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.eclipse.microprofile.reactive.messaging.Message;

/**
 * The request records this worker holds, per partition, and the answers made for them. An answer leaves only together
 * with its partition's offset ({@link #drain}), in the transaction that commits it: the committed offset is the first
 * record not yet answered, and the records after it answered already are listed in the commit's metadata
 * ({@link AnsweredAhead}). So answers leave as soon as they are made, in any order, and a transaction carries an event
 * exactly when it records its record as answered: a worker cut off from the group cannot make an event visible that
 * the record's next owner makes again, and that owner skips the records listed ({@link Receipt#ALREADY_ANSWERED}).
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

    /**
     * Answers that may leave now, the offsets (with the answered-ahead metadata) to commit with them, and per partition
     * the offsets of the records they answer.
     */
    record Drain(List<Answer> answers, Map<TopicPartition, OffsetAndMetadata> offsets, ConsumerGroupMetadata group,
            long version, Map<TopicPartition, List<Long>> answered) {
        boolean isEmpty() {
            return answers.isEmpty();
        }
    }

    /** What {@link #receive} did with a record. */
    enum Receipt {
        /** Held here until answered: the caller makes its answer. */
        HELD,
        /** Answered before (by this worker or the partition's previous owner): the caller leaves it alone. */
        ALREADY_ANSWERED,
        /** Its partition is not assigned here, or it is held already (read again after a reset): left alone. */
        NOT_HERE
    }

    /** A record held: its request id (null when it had no valid one), its size and, once made, its answer. */
    private static final class Held {
        final String requestId;
        final int bytes;
        Answer answer;

        Held(String requestId, int bytes) {
            this.requestId = requestId;
            this.bytes = bytes;
        }
    }

    /** One assigned partition: the records held, and what its last commit says. */
    private static final class PartitionRecords {
        final TreeMap<Long, Held> held = new TreeMap<>();
        /** Offsets past {@link #committed} whose answers are committed (listed in the commit's metadata). */
        final TreeSet<Long> answeredAhead;
        /** The committed offset (the first record not answered), or -1 when the group has none. */
        long committed;
        /** The offset after the last record read since the assignment, or -1 when none was read. */
        long nextToRead = -1;

        PartitionRecords(long committed, TreeSet<Long> answeredAhead) {
            this.committed = committed;
            this.answeredAhead = answeredAhead;
        }
    }

    /** Raised into an answer's future when its partition left this worker before the answer was committed. */
    static final class PartitionLost extends RuntimeException {
        PartitionLost(TopicPartition partition) {
            super("partition " + partition + " was revoked before the answer was committed; its next owner answers");
        }
    }

    private final Map<TopicPartition, PartitionRecords> partitions = new HashMap<>();
    private int answersHeld;
    private long bytesHeld;
    private final List<Room> waitingForRoom = new ArrayList<>();
    /**
     * The consumer's group membership when it was last given partitions. Offsets are committed under it: a worker the
     * group has moved on from is refused by the group coordinator (KIP-447), and its transaction aborts.
     */
    private ConsumerGroupMetadata group;
    /** Counts every change a waiting committer cares about (an answer, an assignment, a revocation). */
    private long changes;

    private record Room(long maxBytes, CompletableFuture<Void> granted) {
    }

    /**
     * The consumer was given {@code assigned} (possibly none, in a cooperative rebalance) as a member of
     * {@code group}, with the group's commits for them ({@code committed}, null or missing where none): their records
     * are taken from now on, those the commits list as answered are skipped, and answers are committed under that
     * membership.
     */
    synchronized void assign(Collection<TopicPartition> assigned, ConsumerGroupMetadata group,
            Map<TopicPartition, OffsetAndMetadata> committed) {
        for (TopicPartition tp : assigned) {
            if (!partitions.containsKey(tp)) {
                OffsetAndMetadata commit = committed == null ? null : committed.get(tp);
                long offset = commit == null ? -1 : commit.offset();
                TreeSet<Long> ahead = commit == null ? new TreeSet<>()
                        : new TreeSet<>(AnsweredAhead.decode(offset, commit.metadata()));
                partitions.put(tp, new PartitionRecords(offset, ahead));
            }
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
            PartitionRecords records = partitions.remove(tp);
            if (records == null) {
                continue;
            }
            for (Held h : records.held.values()) {
                if (h.requestId != null) {
                    dropped.add(h.requestId);
                }
                forget(h);
                if (h.answer != null) {
                    h.answer.committed().completeExceptionally(new PartitionLost(tp));
                }
            }
        }
        for (PartitionRecords kept : partitions.values()) {
            for (Held h : kept.held.values()) {
                dropped.remove(h.requestId);
            }
        }
        changed();
        grantRoom();
        return dropped;
    }

    /**
     * Holds the record at {@code offset} of {@code tp} ({@code bytes} long), unless it must be left alone: its
     * partition is not assigned here (revoked after the consumer read it), it is held already (read again after a
     * reset), or the partition's last commit lists it as answered.
     */
    synchronized Receipt receive(TopicPartition tp, long offset, String requestId, int bytes) {
        PartitionRecords records = partitions.get(tp);
        if (records == null || records.held.containsKey(offset)) {
            return Receipt.NOT_HERE;
        }
        records.nextToRead = Math.max(records.nextToRead, offset + 1);
        if (records.answeredAhead.contains(offset) || (records.committed >= 0 && offset < records.committed)) {
            return Receipt.ALREADY_ANSWERED;
        }
        records.held.put(offset, new Held(requestId, bytes));
        bytesHeld += bytes;
        return Receipt.HELD;
    }

    /**
     * Records the answer of the record at {@code offset}. False (and the answer's future failed) when the record is
     * no longer held here (its partition was revoked meanwhile) or was answered already.
     */
    synchronized boolean answer(TopicPartition tp, long offset, Answer answer) {
        PartitionRecords records = partitions.get(tp);
        Held h = records == null ? null : records.held.get(offset);
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
     * Takes every answer made and not yet committed (up to {@code maxMessages} messages in all, at least one answer),
     * with each partition's offset to commit (the first record left unanswered) and the metadata listing the records
     * after it answered, and the group generation they were taken under. Taken records stay held until
     * {@link #committed}: after a failed transaction the next drain takes them again. An answer further than
     * {@link AnsweredAhead#MAX_SPAN} past its partition's first unanswered record waits.
     */
    synchronized Drain drain(int maxMessages) {
        List<Answer> answers = new ArrayList<>();
        Map<TopicPartition, OffsetAndMetadata> offsets = new LinkedHashMap<>();
        Map<TopicPartition, List<Long>> answered = new LinkedHashMap<>();
        int messages = 0;
        for (Map.Entry<TopicPartition, PartitionRecords> partition : partitions.entrySet()) {
            PartitionRecords records = partition.getValue();
            List<Long> taken = new ArrayList<>();
            long firstLeft = -1;
            for (Map.Entry<Long, Held> record : records.held.entrySet()) {
                Answer answer = record.getValue().answer;
                boolean fits = answer != null
                        && (answers.isEmpty() || messages + answer.messages().size() <= maxMessages);
                if (fits && (firstLeft < 0 || AnsweredAhead.fits(firstLeft, record.getKey()))) {
                    taken.add(record.getKey());
                    answers.add(answer);
                    messages += answer.messages().size();
                } else if (firstLeft < 0) {
                    firstLeft = record.getKey();
                }
            }
            if (taken.isEmpty()) {
                continue;
            }
            long commit = firstLeft >= 0 ? firstLeft : Math.max(records.nextToRead, records.committed);
            while (records.answeredAhead.contains(commit)) {
                commit++; // never commit the position of a record answered already: its next reader would answer it
            }
            TreeSet<Long> ahead = new TreeSet<>(records.answeredAhead.tailSet(commit, false));
            for (long offset : taken) {
                if (offset > commit) {
                    ahead.add(offset);
                }
            }
            offsets.put(partition.getKey(), new OffsetAndMetadata(commit, AnsweredAhead.encode(commit, ahead)));
            answered.put(partition.getKey(), taken);
        }
        return new Drain(answers, offsets, group, changes, answered);
    }

    /** The drained answers were committed: their records leave the ledger and their futures complete. */
    synchronized void committed(Drain drain) {
        for (Map.Entry<TopicPartition, OffsetAndMetadata> commit : drain.offsets().entrySet()) {
            PartitionRecords records = partitions.get(commit.getKey());
            if (records == null) {
                continue;
            }
            long offset = commit.getValue().offset();
            for (long answered : drain.answered().get(commit.getKey())) {
                Held h = records.held.remove(answered);
                if (h != null) {
                    forget(h);
                }
                if (answered > offset) {
                    records.answeredAhead.add(answered);
                }
            }
            records.committed = offset;
            records.answeredAhead.headSet(offset, true).clear();
        }
        drain.answers().forEach(a -> a.committed().complete(null));
        changed();
        grantRoom();
    }

    private void forget(Held h) {
        bytesHeld -= h.bytes;
        if (h.answer != null) {
            answersHeld--;
        }
    }

    /**
     * Whether an answer may leave now: one before its partition's first unanswered record, or within
     * {@link AnsweredAhead#MAX_SPAN} of it (what {@link #drain} would take, without building the drain).
     */
    synchronized boolean hasAnswersToCommit() {
        if (answersHeld == 0) {
            return false;
        }
        for (PartitionRecords records : partitions.values()) {
            long firstLeft = -1;
            for (Map.Entry<Long, Held> record : records.held.entrySet()) {
                if (record.getValue().answer == null) {
                    firstLeft = firstLeft < 0 ? record.getKey() : firstLeft;
                } else if (firstLeft < 0 || AnsweredAhead.fits(firstLeft, record.getKey())) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Records held (answered or not), for the dashboard. */
    synchronized int recordsHeld() {
        return partitions.values().stream().mapToInt(p -> p.held.size()).sum();
    }

    /** Bytes of the records held. */
    synchronized long bytesHeld() {
        return bytesHeld;
    }

    /** Completes once the records held take fewer than {@code maxBytes} bytes (at once when they do). */
    synchronized CompletableFuture<Void> room(long maxBytes) {
        if (bytesHeld < maxBytes) {
            return CompletableFuture.completedFuture(null);
        }
        Room room = new Room(maxBytes, new CompletableFuture<>());
        waitingForRoom.add(room);
        return room.granted();
    }

    private void grantRoom() {
        for (Iterator<Room> it = waitingForRoom.iterator(); it.hasNext(); ) {
            Room room = it.next();
            if (bytesHeld < room.maxBytes()) {
                it.remove();
                // Completed off the lock's thread: the waiter (the consumer's stage) must not run inside the ledger.
                CompletableFuture.runAsync(() -> room.granted().complete(null));
            }
        }
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
     * Waits until no answer that may leave is left uncommitted; false when {@code millis} ran out first. (Records not
     * answered because the worker stopped first stay for the partition's next owner.)
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
