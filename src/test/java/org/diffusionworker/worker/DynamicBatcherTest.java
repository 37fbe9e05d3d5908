package org.diffusionworker.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;


import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.diffusionworker.diffusion.SamplerKind;
import org.diffusionworker.diffusion.SamplerSettings;
import org.diffusionworker.generation.Conditioning;
import org.junit.jupiter.api.Test;

/** The batching rules on a hand-driven clock: no model, no threads. */
class DynamicBatcherTest {

    private static final long MS = 1_000_000;
    private final AtomicLong now = new AtomicLong(1_000 * MS);

    private DynamicBatcher batcher(int maxImages, BatchingPolicy policy) {
        return new DynamicBatcher(maxImages, Duration.ofMillis(100), policy, now::get);
    }

    private Job job(String id, String label, int count, int steps) {
        return job(id, label, count, steps, null);
    }

    private Job job(String id, String label, int count, int steps, Long deadlineInNanos) {
        return job(id, label, count, steps, deadlineInNanos, Scheduling.DEFAULT);
    }

    private Job job(String id, int count, Priority priority, String tenant) {
        return job(id, "a", count, 10, null, new Scheduling(priority, tenant));
    }

    private Job job(String id, String label, int count, int steps, Long deadlineInNanos, Scheduling scheduling) {
        GenerationRequest r = new GenerationRequest(id, Conditioning.label(label), count,
                new SamplingParameters(SamplerKind.DDIM, steps, null, 0, 0, 1L), null, scheduling, null, Map.of(), null);
        SamplerSettings sampler = SamplerSettings.ddim(steps, 0);
        var p = new Outcome.EffectiveParameters(label, count, sampler, 0, 1, false, 4, false, ResultLayout.GRID);
        long deadline = deadlineInNanos == null ? now.get() + Long.MAX_VALUE / 4 : now.get() + deadlineInNanos;
        return new Job(r, p, new float[10], "label:" + label, "f-" + id, now.get(), deadline, o -> {}, 1_000_000_000L);
    }

    @Test
    void fullBatchGoesAtOnceWithoutWaitingForTheDelay() {
        DynamicBatcher b = batcher(8, BatchingPolicy.MIXED);
        b.add(job("a", "bag", 4, 20));
        assertNull(b.poll(now.get()), "half a batch waits");
        b.add(job("b", "sneaker", 4, 20));

        Batch batch = b.poll(now.get());

        assertNotNull(batch);
        assertEquals(8, batch.images());
        assertEquals(2, batch.jobs().size());
        assertEquals(0, b.queuedImages());
    }

    @Test
    void partialBatchGoesWhenTheOldestRequestHasWaitedTheMaximumDelay() {
        DynamicBatcher b = batcher(8, BatchingPolicy.MIXED);
        b.add(job("a", "bag", 3, 20));
        now.addAndGet(60 * MS);
        b.add(job("b", "bag", 2, 20));
        now.addAndGet(39 * MS);
        assertNull(b.poll(now.get()), "99 ms after the oldest arrived");
        now.addAndGet(MS);

        Batch batch = b.poll(now.get());

        assertEquals(5, batch.images(), "both requests go, timed from the oldest");
        assertEquals(100 * MS, batch.oldestWaitNanos());
    }

    @Test
    void incompatibleSamplerSettingsNeverShareABatch() {
        DynamicBatcher b = batcher(8, BatchingPolicy.MIXED);
        b.add(job("a", "bag", 2, 20));
        b.add(job("b", "bag", 2, 50));
        now.addAndGet(100 * MS);

        Batch first = b.poll(now.get());
        Batch second = b.poll(now.get());

        assertEquals(List.of("a"), first.jobs().stream().map(Job::requestId).toList());
        assertEquals(List.of("b"), second.jobs().stream().map(Job::requestId).toList());
    }

    @Test
    void byContextPolicyKeepsLabelsApartAndMixedPolicyPutsThemTogether() {
        DynamicBatcher byContext = batcher(8, BatchingPolicy.BY_CONTEXT);
        DynamicBatcher mixed = batcher(8, BatchingPolicy.MIXED);
        for (DynamicBatcher b : List.of(byContext, mixed)) {
            b.add(job("a", "bag", 2, 20));
            b.add(job("b", "sneaker", 2, 20));
        }
        now.addAndGet(100 * MS);

        assertEquals(1, byContext.poll(now.get()).jobs().size());
        assertEquals(2, mixed.poll(now.get()).jobs().size());
    }

    @Test
    void requestLargerThanABatchIsSplitInOrderAndKeepsItsPlace() {
        DynamicBatcher b = batcher(4, BatchingPolicy.MIXED);
        Job big = job("big", "bag", 10, 20);
        b.add(big);
        b.add(job("small", "bag", 1, 20));

        Batch first = b.poll(now.get());
        Batch second = b.poll(now.get());
        now.addAndGet(100 * MS);
        Batch third = b.poll(now.get());

        assertEquals(List.of(new Batch.Slice(big, 0, 4)), first.slices());
        assertEquals(List.of(new Batch.Slice(big, 4, 8)), second.slices());
        assertEquals(3, third.images(), "the rest of the big request and the small one");
        assertEquals(new Batch.Slice(big, 8, 10), third.slices().get(0));
    }

    @Test
    void oldestGroupIsServedFirstOnceDueEvenWhileOthersCouldFill() {
        DynamicBatcher b = batcher(4, BatchingPolicy.BY_CONTEXT);
        b.add(job("rare", "bag", 1, 20));
        now.addAndGet(100 * MS);
        b.add(job("busy-1", "sneaker", 4, 20));

        Batch batch = b.poll(now.get());

        assertEquals(List.of("rare"), batch.jobs().stream().map(Job::requestId).toList(), "no starvation");
    }

    @Test
    void expiredRequestIsReturnedUnrunWhenItsTurnComes() {
        DynamicBatcher b = batcher(4, BatchingPolicy.MIXED);
        b.add(job("late", "bag", 2, 20, 50 * MS));
        now.addAndGet(100 * MS);

        Batch batch = b.poll(now.get());

        assertTrue(batch.slices().isEmpty());
        assertEquals("late", batch.expired().get(0).requestId());
        assertEquals(0, b.queuedImages());
    }

    @Test
    void requestsAreServedInTheOrderTheyWereReceivedEvenWhenQueuedOutOfOrder() {
        DynamicBatcher b = batcher(4, BatchingPolicy.BY_CONTEXT);
        Job first = job("first", "bag", 1, 20);
        now.addAndGet(10 * MS);
        Job second = job("second", "coat", 1, 20);
        b.add(second);
        b.add(first);
        now.addAndGet(100 * MS);

        assertEquals(List.of("first"), b.poll(now.get()).jobs().stream().map(Job::requestId).toList());
    }

    @Test
    void closeReturnsWhatIsStillQueued() {
        DynamicBatcher b = batcher(4, BatchingPolicy.MIXED);
        b.add(job("a", "bag", 6, 20));
        b.poll(now.get());

        List<Job> left = b.close();

        assertEquals(List.of("a"), left.stream().map(Job::requestId).toList());
        assertNull(b.poll(now.get() + 200 * MS));
    }

    @Test
    void drainingSendsTheRestOfStartedRequestsAtOnceAndHandsBackThoseNeverStarted() throws InterruptedException {
        DynamicBatcher b = batcher(8, BatchingPolicy.MIXED);
        Job started = job("started", "bag", 11, 20);
        b.add(started);
        assertEquals(8, b.poll(now.get()).images(), "a full batch of it went");
        Job waiting = job("waiting", "bag", 3, 20);
        b.add(waiting);

        assertEquals(List.of(waiting), b.drain(), "never started: left to the partition's next owner");

        Batch rest = b.take();
        assertEquals(List.of(new Batch.Slice(started, 8, 11)), rest.slices(), "no wait for the batch to fill");
        assertNull(b.take(), "ends once nothing is left");
    }

    @Test
    void aRetriedSliceKeepsItsPlaceByArrival() {
        DynamicBatcher b = batcher(8, BatchingPolicy.MIXED);
        Job first = job("first", "bag", 4, 20);
        now.addAndGet(MS);
        Job second = job("second", "bag", 2, 20);
        b.add(second);
        b.retry(first, 1, 3);

        Batch batch = b.poll(now.get() + 200 * MS);

        assertEquals(List.of("first", "second"), batch.jobs().stream().map(Job::requestId).toList());
        assertEquals(1, batch.slices().get(0).from());
        assertEquals(3, batch.slices().get(0).to());
        assertEquals(4, batch.images());
    }

    // ---- classes, tenants, admission ----------------------------------------------------------------------------

    private DynamicBatcher fair(int maxImages, BatchingPolicy policy, int maxAdmitted, WorkerSettings.Fairness f) {
        return new DynamicBatcher(maxImages, Duration.ofMillis(100), policy, maxAdmitted, f, now::get);
    }

    private static List<String> ids(Batch batch) {
        return batch.slices().stream().map(s -> s.job().requestId() + ":" + s.size()).toList();
    }

    @Test
    void aHighRequestGoesFirstAndLowerClassesFillTheRestOfItsBatch() {
        DynamicBatcher b = fair(8, BatchingPolicy.MIXED, 1000, WorkerSettings.Fairness.defaults());
        b.add(job("low", 4, Priority.LOW, "t"));
        now.addAndGet(MS);
        b.add(job("normal", 4, Priority.NORMAL, "t"));
        now.addAndGet(MS);
        b.add(job("high", 2, Priority.HIGH, "t"));

        assertEquals(List.of("high:2", "normal:4", "low:2"), ids(b.poll(now.get())));
    }

    @Test
    void aLowerClassThatCouldFillABatchWaitsForTheHighRequestsDelay() {
        DynamicBatcher b = fair(4, BatchingPolicy.BY_CONTEXT, 1000, WorkerSettings.Fairness.defaults());
        b.add(job("high", "bag", 1, 10, null, new Scheduling(Priority.HIGH, "t")));
        b.add(job("normal", "coat", 4, 10, null, Scheduling.DEFAULT));

        assertNull(b.poll(now.get()), "the full normal group does not go before the high request");
        assertEquals(List.of("high:1"), ids(b.poll(now.get() + 100 * MS)));
        assertEquals(List.of("normal:4"), ids(b.poll(now.get() + 100 * MS)));
    }

    @Test
    void aTenantsFloodDelaysAnotherTenantsRequestByAtMostTheBatchInHand() {
        DynamicBatcher b = fair(16, BatchingPolicy.MIXED, 1000, WorkerSettings.Fairness.defaults());
        for (int i = 0; i < 40; i++) {
            b.add(job("a-" + i, 16, Priority.NORMAL, "a"));
        }
        assertEquals(List.of("a-0:16"), ids(b.poll(now.get())));
        assertEquals(List.of("a-1:16"), ids(b.poll(now.get())));
        now.addAndGet(MS);
        b.add(job("b-0", 4, Priority.NORMAL, "b"));

        Batch next = b.poll(now.get());
        assertEquals(List.of("b-0:4", "a-2:12"), ids(next), "b's request leads the next batch, a fills it");
    }

    @Test
    void weightsDivideTheImagesBetweenBusyTenants() {
        DynamicBatcher b = fair(4, BatchingPolicy.MIXED, 1000, new WorkerSettings.Fairness(1000,
                Duration.ofSeconds(60), 16, Map.of("heavy", new WorkerSettings.TenantShare(3, 0))));
        for (int i = 0; i < 60; i++) {
            b.add(job("heavy-" + i, 1, Priority.NORMAL, "heavy"));
            b.add(job("light-" + i, 1, Priority.NORMAL, "light"));
        }
        int heavy = 0;
        int light = 0;
        for (int batch = 0; batch < 10; batch++) {
            for (Batch.Slice slice : b.poll(now.get()).slices()) {
                if (slice.job().requestId().startsWith("heavy")) {
                    heavy += slice.size();
                } else {
                    light += slice.size();
                }
            }
        }
        assertEquals(30, heavy, "3 of every 4 images");
        assertEquals(10, light);
    }

    @Test
    void aRequestWaitsAtMostTheStarvationLimitBehindHigherClasses() {
        DynamicBatcher b = fair(4, BatchingPolicy.MIXED, 1000,
                new WorkerSettings.Fairness(1000, Duration.ofSeconds(60), 16, Map.of()));
        b.add(job("low", 4, Priority.LOW, "t"));
        for (int i = 0; i < 30; i++) {
            now.addAndGet(1_000 * MS);
            b.add(job("high-" + i, 4, Priority.HIGH, "t"));
            assertEquals(List.of("high-" + i + ":4"), ids(b.poll(now.get())));
        }
        now.addAndGet(30_000 * MS);
        b.add(job("high-late", 4, Priority.HIGH, "t"));
        assertEquals(List.of("low:4"), ids(b.poll(now.get())), "60 s behind high requests: it goes first now");
    }

    @Test
    void aTenantsCapBoundsItsImagesInFlightUntilTheyAreAnswered() {
        DynamicBatcher b = fair(8, BatchingPolicy.MIXED, 1000, new WorkerSettings.Fairness(1000,
                Duration.ofSeconds(60), 16, Map.of("capped", new WorkerSettings.TenantShare(1, 4))));
        Job first = job("capped-1", 3, Priority.NORMAL, "capped");
        b.add(first);
        b.add(job("capped-2", 3, Priority.NORMAL, "capped"));
        b.add(job("other", 2, Priority.NORMAL, "other"));

        assertEquals(List.of("capped-1:3", "other:2", "capped-2:1"), ids(b.poll(now.get() + 100 * MS)));
        assertNull(b.poll(now.get() + 200 * MS), "capped has 4 in flight");
        b.finished(first);
        assertEquals(List.of("capped-2:2"), ids(b.poll(now.get() + 200 * MS)));
    }

    @Test
    void noBatchIsFormedWhileTheAdmittedImagesAreAtTheLimit() {
        DynamicBatcher b = fair(4, BatchingPolicy.MIXED, 8, WorkerSettings.Fairness.defaults());
        Job one = job("one", 4, Priority.NORMAL, "t");
        b.add(one);
        b.add(job("two", 4, Priority.NORMAL, "t"));
        b.add(job("three", 4, Priority.NORMAL, "t"));
        assertEquals(List.of("one:4"), ids(b.poll(now.get())));
        assertEquals(List.of("two:4"), ids(b.poll(now.get())));
        assertNull(b.poll(now.get() + 200 * MS), "8 images admitted and not answered");
        assertEquals(8, b.admittedImages());
        assertEquals(4, b.queuedImages(), "taken and waiting, not admitted");
        b.finished(one);
        assertEquals(List.of("three:4"), ids(b.poll(now.get())));
    }

    @Test
    void aTakerWaitingOnlyForCappedTenantsSleepsUntilRoomComes() throws Exception {
        AtomicLong realClock = new AtomicLong();
        DynamicBatcher b = new DynamicBatcher(8, Duration.ZERO, BatchingPolicy.MIXED, 1000, new WorkerSettings.Fairness(
                1000, Duration.ofSeconds(60), 16, Map.of("capped", new WorkerSettings.TenantShare(1, 2))), System::nanoTime);
        Job first = job("capped-1", 2, Priority.NORMAL, "capped");
        b.add(first);
        b.add(job("capped-2", 2, Priority.NORMAL, "capped"));
        assertEquals("capped-1", b.take().slices().get(0).job().requestId());

        java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
        java.util.concurrent.CompletableFuture<Batch> next = new java.util.concurrent.CompletableFuture<>();
        Thread taker = new Thread(() -> {
            try {
                next.complete(b.take());
            } catch (InterruptedException e) {
                next.completeExceptionally(e);
            }
        });
        taker.start();
        Thread.sleep(500);
        realClock.set(threads.getThreadCpuTime(taker.getId()));
        assertTrue(!next.isDone(), "capped-2 waits for room");
        assertTrue(realClock.get() < 200_000_000L, "the taker slept, not spun: " + realClock.get() / 1_000_000 + " ms CPU");
        b.finished(first);
        assertEquals("capped-2", next.get(10, java.util.concurrent.TimeUnit.SECONDS).slices().get(0).job().requestId());
    }

    // Joining a batch in progress (continuous batching): the replica asks between two steps.

    private static BatchKey keyOf(Batch batch) {
        return batch.key();
    }

    @Test
    void waitingImagesOfTheSameGroupJoinABatchInProgressUpToTheLargestBatch() {
        DynamicBatcher b = fair(8, BatchingPolicy.MIXED, 1000, WorkerSettings.Fairness.defaults());
        b.add(job("first", 6, Priority.NORMAL, "t"));
        Batch running = b.poll(now.get() + 100 * MS);
        b.add(job("second", 4, Priority.NORMAL, "t"));
        b.add(job("other-steps", "a", 2, 20, null, new Scheduling(Priority.NORMAL, "t")));

        Batch joining = b.join(keyOf(running), running.slices());

        assertEquals(List.of("second:2"), ids(joining), "2 of 8 rows free; the other group does not join");
        assertEquals(2, b.queuedImages() - 2, "second's other 2 images wait, beside the other group's 2");
    }

    @Test
    void nothingJoinsWhileTheFirstInLineBelongsToAnotherGroup() {
        DynamicBatcher b = fair(8, BatchingPolicy.MIXED, 1000, WorkerSettings.Fairness.defaults());
        b.add(job("first", 2, Priority.NORMAL, "t"));
        Batch running = b.poll(now.get() + 100 * MS);
        b.add(job("high-other-steps", "a", 2, 20, null, new Scheduling(Priority.HIGH, "t")));
        b.add(job("same-group", 2, Priority.NORMAL, "t"));

        assertNull(b.join(keyOf(running), running.slices()), "the batch ends; the high request's batch is next");
    }

    @Test
    void anotherTenantOvertakesAFullBatchInProgressUpToItsShareAndTheOvertakeRoom() {
        DynamicBatcher b = fair(8, BatchingPolicy.MIXED, 1000, new WorkerSettings.Fairness(1000,
                Duration.ofSeconds(60), 4, Map.of()));
        for (int i = 0; i < 4; i++) {
            b.add(job("flood-" + i, 4, Priority.NORMAL, "a"));
        }
        Batch running = b.poll(now.get());
        assertEquals(List.of("flood-0:4", "flood-1:4"), ids(running));
        b.add(job("b-1", 3, Priority.NORMAL, "b"));
        b.add(job("b-2", 3, Priority.NORMAL, "b"));

        Batch joining = b.join(keyOf(running), running.slices());

        assertEquals(List.of("b-1:3", "b-2:1"), ids(joining), "tenant b is below half the rows: 4 more rows at most");
        java.util.List<Batch.Slice> rows = new java.util.ArrayList<>(running.slices());
        rows.addAll(joining.slices());
        assertNull(b.join(keyOf(running), rows), "full and over by the overtake room: the flood waits its turn");
    }

    @Test
    void theFloodingTenantDoesNotOvertakeItsOwnFullBatch() {
        DynamicBatcher b = fair(8, BatchingPolicy.MIXED, 1000, WorkerSettings.Fairness.defaults());
        for (int i = 0; i < 4; i++) {
            b.add(job("flood-" + i, 4, Priority.NORMAL, "a"));
        }
        Batch running = b.poll(now.get());
        assertNull(b.join(keyOf(running), running.slices()), "a full batch takes no more of the same tenant");
    }

    @Test
    void aHigherClassOvertakesAFullBatchInProgressButNotWithoutOvertakeRoom() {
        for (int room : new int[] {16, 0}) {
            DynamicBatcher b = fair(8, BatchingPolicy.MIXED, 1000, new WorkerSettings.Fairness(1000,
                    Duration.ofSeconds(60), room, Map.of()));
            b.add(job("normal-" + room, 8, Priority.NORMAL, "a"));
            Batch running = b.poll(now.get());
            b.add(job("high-" + room, 2, Priority.HIGH, "a"));
            Batch joining = b.join(keyOf(running), running.slices());
            if (room == 0) {
                assertNull(joining, "no room beyond the largest batch");
            } else {
                assertEquals(List.of("high-16:2"), ids(joining));
            }
        }
    }

    @Test
    void anotherTenantOvertakesAFloodsBatchThatAlsoHoldsAHigherClass() {
        DynamicBatcher b = fair(8, BatchingPolicy.MIXED, 1000, new WorkerSettings.Fairness(1000,
                Duration.ofSeconds(60), 8, Map.of()));
        for (int i = 0; i < 3; i++) {
            b.add(job("flood-" + i, 4, Priority.NORMAL, "a"));
        }
        Batch running = b.poll(now.get());
        b.add(job("high", 2, Priority.HIGH, "a"));
        Batch high = b.join(keyOf(running), running.slices());
        assertEquals(List.of("high:2"), ids(high));
        java.util.List<Batch.Slice> rows = new java.util.ArrayList<>(running.slices());
        rows.addAll(high.slices());
        b.add(job("b", 2, Priority.NORMAL, "b"));
        b.add(job("low", 2, Priority.LOW, "c"));

        Batch joining = b.join(keyOf(running), rows);

        assertEquals(List.of("b:2"), ids(joining), "b goes before the flood's rows of its class, though not before"
                + " the high request; the low request goes before none");
        rows.addAll(joining.slices());
        assertNull(b.join(keyOf(running), rows), "the low request waits for the batch to end");
    }
}
