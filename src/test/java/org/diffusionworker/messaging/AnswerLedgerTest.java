package org.diffusionworker.messaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.TreeSet;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.junit.jupiter.api.Test;

/** The ledger alone: what a transaction may carry, and what a revocation leaves to the partition's next owner. */
class AnswerLedgerTest {

    private static final TopicPartition P0 = new TopicPartition("requests", 0);
    private static final TopicPartition P1 = new TopicPartition("requests", 1);
    private static final ConsumerGroupMetadata GENERATION_1 =
            new ConsumerGroupMetadata("workers", 1, "member-a", Optional.empty());
    private static final ConsumerGroupMetadata GENERATION_2 =
            new ConsumerGroupMetadata("workers", 2, "member-a", Optional.empty());

    private static AnswerLedger.Answer answer(String text) {
        return new AnswerLedger.Answer(List.of(Message.of(text.getBytes(StandardCharsets.UTF_8))));
    }

    private static String text(AnswerLedger.Answer answer) {
        return new String(answer.messages().get(0).getPayload(), StandardCharsets.UTF_8);
    }

    private static final AnswerLedger.Receipt HELD = AnswerLedger.Receipt.HELD;

    /** A ledger given {@code partitions} with no commit yet. */
    private static AnswerLedger assigned(TopicPartition... partitions) {
        AnswerLedger ledger = new AnswerLedger();
        ledger.assign(List.of(partitions), GENERATION_1, Map.of());
        return ledger;
    }

    private static AnswerLedger.Receipt receive(AnswerLedger ledger, TopicPartition tp, long offset, String id) {
        return ledger.receive(tp, offset, id, 100);
    }

    @Test
    void anAnswerLeavesAtOnceAndTheCommitListsWhatWasAnsweredAheadOfTheFirstUnansweredRecord() {
        AnswerLedger ledger = assigned(P0);
        assertEquals(HELD, receive(ledger, P0, 10, "a"));
        assertEquals(HELD, receive(ledger, P0, 11, "b"));
        assertEquals(HELD, receive(ledger, P0, 14, "c")); // offsets may skip (transaction markers, compaction)

        ledger.answer(P0, 14, answer("c"));
        ledger.answer(P0, 11, answer("b"));
        AnswerLedger.Drain drain = ledger.drain(100);
        assertEquals(List.of("b", "c"), drain.answers().stream().map(AnswerLedgerTest::text).toList(),
                "answers leave in any order");
        OffsetAndMetadata commit = drain.offsets().get(P0);
        assertEquals(10, commit.offset(), "the committed offset stays at the first record not answered");
        assertEquals(Set.of(11L, 14L), AnsweredAhead.decode(10, commit.metadata()));
        assertEquals(GENERATION_1, drain.group());
        ledger.committed(drain);

        ledger.answer(P0, 10, answer("a"));
        AnswerLedger.Drain last = ledger.drain(100);
        assertEquals(List.of("a"), last.answers().stream().map(AnswerLedgerTest::text).toList());
        assertEquals(15, last.offsets().get(P0).offset(), "past everything read, answered ahead included");
        assertEquals(Set.of(), AnsweredAhead.decode(15, last.offsets().get(P0).metadata()));
        ledger.committed(last);
        assertEquals(0, ledger.recordsHeld());
        assertEquals(0, ledger.bytesHeld());
    }

    @Test
    void theNextOwnerSkipsWhatTheCommitListsAndKeepsListingWhatItHasNotPassed() {
        // The previous owner committed offset 20 with 21 and 23 answered ahead.
        NavigableSet<Long> ahead = new TreeSet<>(List.of(21L, 23L));
        AnswerLedger ledger = new AnswerLedger();
        ledger.assign(List.of(P0), GENERATION_2,
                Map.of(P0, new OffsetAndMetadata(20, AnsweredAhead.encode(20, ahead))));
        assertEquals(HELD, receive(ledger, P0, 20, "head"));
        assertEquals(AnswerLedger.Receipt.ALREADY_ANSWERED, receive(ledger, P0, 21, "answered-before"));
        assertEquals(HELD, receive(ledger, P0, 22, "open"));
        assertEquals(AnswerLedger.Receipt.ALREADY_ANSWERED, receive(ledger, P0, 23, "answered-before-too"));
        assertEquals(AnswerLedger.Receipt.ALREADY_ANSWERED, receive(ledger, P0, 19, "below the commit"));

        ledger.answer(P0, 20, answer("head"));
        AnswerLedger.Drain drain = ledger.drain(100);
        assertEquals(22, drain.offsets().get(P0).offset(), "21 was answered: the commit moves past it to 22");
        assertEquals(Set.of(23L), AnsweredAhead.decode(22, drain.offsets().get(P0).metadata()),
                "23 stays listed: the commit has not passed it");
        ledger.committed(drain);

        ledger.answer(P0, 22, answer("open"));
        AnswerLedger.Drain rest = ledger.drain(100);
        assertEquals(24, rest.offsets().get(P0).offset());
    }

    @Test
    void theCommitNeverStopsOnARecordListedAsAnsweredThatWasNotReadYet() {
        NavigableSet<Long> ahead = new TreeSet<>(List.of(6L, 7L));
        AnswerLedger ledger = new AnswerLedger();
        ledger.assign(List.of(P0), GENERATION_2, Map.of(P0, new OffsetAndMetadata(5, AnsweredAhead.encode(5, ahead))));
        receive(ledger, P0, 5, "head");
        ledger.answer(P0, 5, answer("head"));
        AnswerLedger.Drain drain = ledger.drain(100);
        // 6 and 7 are not read yet: committing 6 would make its next reader answer it a second time.
        assertEquals(8, drain.offsets().get(P0).offset());
    }

    @Test
    void metadataThatIsNotOursReadsAsNothingAnsweredAhead() {
        assertEquals(Set.of(), AnsweredAhead.decode(3, ""));
        assertEquals(Set.of(), AnsweredAhead.decode(3, null));
        assertEquals(Set.of(), AnsweredAhead.decode(3, "committed by a console tool"));
        assertEquals(Set.of(), AnsweredAhead.decode(3, AnsweredAhead.PREFIX + "*not base64*"));
        NavigableSet<Long> far = new TreeSet<>(List.of(4L, 5L, 3L + AnsweredAhead.MAX_SPAN));
        assertEquals(far, AnsweredAhead.decode(3, AnsweredAhead.encode(3, far)));
        assertTrue(AnsweredAhead.encode(3, far).length() < 4096, "within the broker's offset.metadata.max.bytes");
    }

    @Test
    void anAnswerTooFarAheadOfTheFirstUnansweredRecordWaitsForIt() {
        AnswerLedger ledger = assigned(P0);
        receive(ledger, P0, 0, "head");
        long far = 1 + AnsweredAhead.MAX_SPAN;
        receive(ledger, P0, far, "far");
        receive(ledger, P0, 1, "near");
        ledger.answer(P0, far, answer("far"));
        ledger.answer(P0, 1, answer("near"));
        assertEquals(List.of("near"), ledger.drain(100).answers().stream().map(AnswerLedgerTest::text).toList());
        ledger.answer(P0, 0, answer("head"));
        assertEquals(3, ledger.drain(100).answers().size(), "once the head is answered, all may leave");
    }

    @Test
    void aDrainTakesEveryAnswerMadeAndCommitsUpToTheFirstUnansweredRecord() {
        AnswerLedger ledger = assigned(P0, P1);
        for (long offset = 0; offset < 4; offset++) {
            receive(ledger, P0, offset, "p0-" + offset);
        }
        receive(ledger, P1, 7, "p1-7");
        ledger.answer(P0, 0, answer("p0-0"));
        ledger.answer(P0, 1, answer("p0-1"));
        ledger.answer(P0, 3, answer("p0-3"));
        ledger.answer(P1, 7, answer("p1-7"));

        AnswerLedger.Drain drain = ledger.drain(100);
        assertEquals(2, drain.offsets().get(P0).offset());
        assertEquals(Set.of(3L), AnsweredAhead.decode(2, drain.offsets().get(P0).metadata()));
        assertEquals(new OffsetAndMetadata(8, ""), drain.offsets().get(P1));
        assertEquals(4, drain.answers().size());
        assertFalse(drain.answers().get(0).committed().isDone(), "nothing is committed before the transaction is");

        ledger.committed(drain);
        drain.answers().forEach(a -> assertTrue(a.committed().isDone() && !a.committed().isCompletedExceptionally()));
        assertEquals(1, ledger.recordsHeld(), "only offset 2 (unanswered) stays held");
        assertTrue(ledger.drain(100).isEmpty());
        ledger.answer(P0, 2, answer("p0-2"));
        assertEquals(4, ledger.drain(100).offsets().get(P0).offset());
    }

    @Test
    void bytesHeldBoundTheRecordsTakenAndRoomComesBackWithEachCommit() throws Exception {
        AnswerLedger ledger = assigned(P0);
        ledger.receive(P0, 0, "a", 600);
        ledger.receive(P0, 1, "b", 600);
        java.util.concurrent.CompletableFuture<Void> room = ledger.room(1000);
        assertFalse(room.isDone(), "1,200 bytes held of 1,000");
        ledger.answer(P0, 1, answer("b"));
        ledger.committed(ledger.drain(100));
        room.get(10, java.util.concurrent.TimeUnit.SECONDS);
        assertEquals(600, ledger.bytesHeld());
    }

    @Test
    void aFailedTransactionLeavesItsAnswersForTheNextDrain() {
        AnswerLedger ledger = new AnswerLedger();
        ledger.assign(List.of(P0), GENERATION_1, Map.of());
        receive(ledger, P0, 0, "a");
        ledger.answer(P0, 0, answer("a"));
        AnswerLedger.Drain first = ledger.drain(100);
        // The transaction aborted: nothing is called on the ledger; the next drain carries the same answer.
        AnswerLedger.Drain again = ledger.drain(100);
        assertEquals(first.offsets(), again.offsets());
        assertEquals(first.answers(), again.answers());
    }

    @Test
    void aDrainIsBoundedInMessagesButAlwaysTakesOneAnswer() {
        AnswerLedger ledger = new AnswerLedger();
        ledger.assign(List.of(P0), GENERATION_1, Map.of());
        for (long offset = 0; offset < 5; offset++) {
            receive(ledger, P0, offset, "r" + offset);
            ledger.answer(P0, offset, answer("r" + offset));
        }
        AnswerLedger.Drain two = ledger.drain(2);
        assertEquals(2, two.answers().size());
        assertEquals(new OffsetAndMetadata(2, ""), two.offsets().get(P0));
        assertEquals(1, ledger.drain(0).answers().size());
    }

    @Test
    void revokingForgetsThePartitionsRecordsAndFailsTheirAnswers() throws InterruptedException {
        AnswerLedger ledger = new AnswerLedger();
        ledger.assign(List.of(P0, P1), GENERATION_1, Map.of());
        receive(ledger, P0, 0, "queued-in-p0");
        receive(ledger, P0, 1, "answered-in-p0");
        receive(ledger, P1, 0, "in-p1");
        receive(ledger, P1, 1, "queued-in-p0"); // the same request id sent again under another key
        AnswerLedger.Answer waiting = answer("answered-in-p0");
        ledger.answer(P0, 1, waiting);

        Set<String> dropped = ledger.revoke(List.of(P0));
        assertEquals(Set.of("answered-in-p0"), dropped,
                "a request still held in a partition kept here is not dropped");
        ExecutionException lost = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                () -> waiting.committed().get());
        assertTrue(lost.getCause() instanceof AnswerLedger.PartitionLost, lost.toString());

        assertEquals(AnswerLedger.Receipt.NOT_HERE, receive(ledger, P0, 2, "late"), "a record of a revoked partition read before the revocation");
        AnswerLedger.Answer late = answer("late");
        assertFalse(ledger.answer(P0, 0, late), "an answer made after its partition left");
        assertTrue(late.committed().isCompletedExceptionally());
        assertTrue(ledger.drain(100).isEmpty());
    }

    @Test
    void answersAreCommittedUnderTheMembershipCurrentWhenTheyWereDrained() {
        AnswerLedger ledger = new AnswerLedger();
        ledger.assign(List.of(P0), GENERATION_1, Map.of());
        receive(ledger, P0, 0, "a");
        ledger.answer(P0, 0, answer("a"));
        AnswerLedger.Drain before = ledger.drain(100);
        // A rebalance keeps P0 here: a drain taken before it still carries generation 1, so the coordinator refuses
        // it if it commits late; one taken after carries generation 2.
        ledger.assign(List.of(), GENERATION_2, Map.of());
        assertEquals(GENERATION_1, before.group());
        assertEquals(GENERATION_2, ledger.drain(100).group());
    }

    @Test
    void aRecordReadTwiceIsHeldOnceAndAnsweredOnce() {
        AnswerLedger ledger = new AnswerLedger();
        ledger.assign(List.of(P0), GENERATION_1, Map.of());
        assertEquals(HELD, receive(ledger, P0, 5, "a"));
        assertEquals(AnswerLedger.Receipt.NOT_HERE, receive(ledger, P0, 5, "a"));
        assertTrue(ledger.answer(P0, 5, answer("first")));
        AnswerLedger.Answer second = answer("second");
        assertFalse(ledger.answer(P0, 5, second));
        assertTrue(second.committed().isCompletedExceptionally());
        assertEquals(List.of("first"), ledger.drain(100).answers().stream().map(AnswerLedgerTest::text).toList());
    }

    @Test
    void stoppingWaitsForTheAnswersMadeButNotForRecordsLeftUnanswered() throws InterruptedException {
        AnswerLedger ledger = new AnswerLedger();
        ledger.assign(List.of(P0), GENERATION_1, Map.of());
        receive(ledger, P0, 0, "abandoned-by-a-stopping-worker");
        receive(ledger, P0, 1, "answered");
        assertTrue(ledger.awaitNothingToCommit(0), "no answer made: nothing to wait for");
        ledger.answer(P0, 1, answer("answered"));
        assertFalse(ledger.awaitNothingToCommit(0), "the answer behind an unanswered record may leave, and has not");
        ledger.committed(ledger.drain(100));
        assertTrue(ledger.awaitNothingToCommit(0));
        assertEquals(1, ledger.recordsHeld(), "the abandoned record stays for the partition's next owner");
    }

    @Test
    void waitingForAChangeReturnsAtOnceWhenOneCameSinceTheDrain() throws InterruptedException {
        AnswerLedger ledger = new AnswerLedger();
        ledger.assign(List.of(P0), GENERATION_1, Map.of());
        receive(ledger, P0, 0, "a");
        AnswerLedger.Drain empty = ledger.drain(100);
        ledger.answer(P0, 0, answer("a")); // made while the committer was busy
        long start = System.nanoTime();
        ledger.awaitChange(empty.version(), 60_000);
        assertTrue(System.nanoTime() - start < 30_000_000_000L, "the change was slept over");
        assertFalse(ledger.drain(100).isEmpty());
    }
}
