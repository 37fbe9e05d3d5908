package org.diffusionworker.messaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
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

    @Test
    void anAnswerLeavesOnlyOnceEveryEarlierRecordOfItsPartitionIsAnswered() {
        AnswerLedger ledger = new AnswerLedger();
        ledger.assign(List.of(P0), GENERATION_1);
        assertTrue(ledger.receive(P0, 10, "a"));
        assertTrue(ledger.receive(P0, 11, "b"));
        assertTrue(ledger.receive(P0, 14, "c")); // offsets may skip (transaction markers, compaction)

        ledger.answer(P0, 14, answer("c"));
        ledger.answer(P0, 11, answer("b"));
        assertTrue(ledger.drain(100).isEmpty(), "10 is not answered: neither 11 nor 14 may become visible");

        ledger.answer(P0, 10, answer("a"));
        AnswerLedger.Drain drain = ledger.drain(100);
        assertEquals(List.of("a", "b", "c"), drain.answers().stream().map(AnswerLedgerTest::text).toList());
        assertEquals(Map.of(P0, new OffsetAndMetadata(15)), drain.offsets());
        assertEquals(GENERATION_1, drain.group());
    }

    @Test
    void aDrainStopsAtTheFirstUnansweredRecordAndCommitsUpToIt() {
        AnswerLedger ledger = new AnswerLedger();
        ledger.assign(List.of(P0, P1), GENERATION_1);
        for (long offset = 0; offset < 4; offset++) {
            ledger.receive(P0, offset, "p0-" + offset);
        }
        ledger.receive(P1, 7, "p1-7");
        ledger.answer(P0, 0, answer("p0-0"));
        ledger.answer(P0, 1, answer("p0-1"));
        ledger.answer(P0, 3, answer("p0-3"));
        ledger.answer(P1, 7, answer("p1-7"));

        AnswerLedger.Drain drain = ledger.drain(100);
        assertEquals(Map.of(P0, new OffsetAndMetadata(2), P1, new OffsetAndMetadata(8)), drain.offsets());
        assertEquals(3, drain.answers().size());
        assertFalse(drain.answers().get(0).committed().isDone(), "nothing is committed before the transaction is");

        ledger.committed(drain);
        drain.answers().forEach(a -> assertTrue(a.committed().isDone() && !a.committed().isCompletedExceptionally()));
        assertEquals(2, ledger.recordsHeld(), "offset 2 (unanswered) and 3 (answered after it) stay held");
        assertTrue(ledger.drain(100).isEmpty());
        ledger.answer(P0, 2, answer("p0-2"));
        assertEquals(Map.of(P0, new OffsetAndMetadata(4)), ledger.drain(100).offsets());
    }

    @Test
    void aFailedTransactionLeavesItsAnswersForTheNextDrain() {
        AnswerLedger ledger = new AnswerLedger();
        ledger.assign(List.of(P0), GENERATION_1);
        ledger.receive(P0, 0, "a");
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
        ledger.assign(List.of(P0), GENERATION_1);
        for (long offset = 0; offset < 5; offset++) {
            ledger.receive(P0, offset, "r" + offset);
            ledger.answer(P0, offset, answer("r" + offset));
        }
        AnswerLedger.Drain two = ledger.drain(2);
        assertEquals(2, two.answers().size());
        assertEquals(Map.of(P0, new OffsetAndMetadata(2)), two.offsets());
        assertEquals(1, ledger.drain(0).answers().size());
    }

    @Test
    void revokingForgetsThePartitionsRecordsAndFailsTheirAnswers() throws InterruptedException {
        AnswerLedger ledger = new AnswerLedger();
        ledger.assign(List.of(P0, P1), GENERATION_1);
        ledger.receive(P0, 0, "queued-in-p0");
        ledger.receive(P0, 1, "answered-in-p0");
        ledger.receive(P1, 0, "in-p1");
        ledger.receive(P1, 1, "queued-in-p0"); // the same request id sent again under another key
        AnswerLedger.Answer waiting = answer("answered-in-p0");
        ledger.answer(P0, 1, waiting);

        Set<String> dropped = ledger.revoke(List.of(P0));
        assertEquals(Set.of("answered-in-p0"), dropped,
                "a request still held in a partition kept here is not dropped");
        ExecutionException lost = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                () -> waiting.committed().get());
        assertTrue(lost.getCause() instanceof AnswerLedger.PartitionLost, lost.toString());

        assertFalse(ledger.receive(P0, 2, "late"), "a record of a revoked partition read before the revocation");
        AnswerLedger.Answer late = answer("late");
        assertFalse(ledger.answer(P0, 0, late), "an answer made after its partition left");
        assertTrue(late.committed().isCompletedExceptionally());
        assertTrue(ledger.drain(100).isEmpty());
    }

    @Test
    void answersAreCommittedUnderTheMembershipCurrentWhenTheyWereDrained() {
        AnswerLedger ledger = new AnswerLedger();
        ledger.assign(List.of(P0), GENERATION_1);
        ledger.receive(P0, 0, "a");
        ledger.answer(P0, 0, answer("a"));
        AnswerLedger.Drain before = ledger.drain(100);
        // A rebalance keeps P0 here: a drain taken before it still carries generation 1, so the coordinator refuses
        // it if it commits late; one taken after carries generation 2.
        ledger.assign(List.of(), GENERATION_2);
        assertEquals(GENERATION_1, before.group());
        assertEquals(GENERATION_2, ledger.drain(100).group());
    }

    @Test
    void aRecordReadTwiceIsHeldOnceAndAnsweredOnce() {
        AnswerLedger ledger = new AnswerLedger();
        ledger.assign(List.of(P0), GENERATION_1);
        assertTrue(ledger.receive(P0, 5, "a"));
        assertFalse(ledger.receive(P0, 5, "a"));
        assertTrue(ledger.answer(P0, 5, answer("first")));
        AnswerLedger.Answer second = answer("second");
        assertFalse(ledger.answer(P0, 5, second));
        assertTrue(second.committed().isCompletedExceptionally());
        assertEquals(List.of("first"), ledger.drain(100).answers().stream().map(AnswerLedgerTest::text).toList());
    }

    @Test
    void stoppingWaitsOnlyForAnswersThatMayLeave() throws InterruptedException {
        AnswerLedger ledger = new AnswerLedger();
        ledger.assign(List.of(P0), GENERATION_1);
        ledger.receive(P0, 0, "abandoned-by-a-stopping-worker");
        ledger.receive(P0, 1, "answered");
        ledger.answer(P0, 1, answer("answered"));
        assertTrue(ledger.awaitNothingToCommit(0), "the answer behind an unanswered record waits for its next owner");
        ledger.answer(P0, 0, answer("late"));
        assertFalse(ledger.awaitNothingToCommit(0), "now both may leave, and have not");
        ledger.committed(ledger.drain(100));
        assertTrue(ledger.awaitNothingToCommit(0));
    }

    @Test
    void waitingForAChangeReturnsAtOnceWhenOneCameSinceTheDrain() throws InterruptedException {
        AnswerLedger ledger = new AnswerLedger();
        ledger.assign(List.of(P0), GENERATION_1);
        ledger.receive(P0, 0, "a");
        AnswerLedger.Drain empty = ledger.drain(100);
        ledger.answer(P0, 0, answer("a")); // made while the committer was busy
        long start = System.nanoTime();
        ledger.awaitChange(empty.version(), 60_000);
        assertTrue(System.nanoTime() - start < 30_000_000_000L, "the change was slept over");
        assertFalse(ledger.drain(100).isEmpty());
    }
}
