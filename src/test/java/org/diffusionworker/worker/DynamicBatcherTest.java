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
        GenerationRequest r = new GenerationRequest(id, Conditioning.label(label), count, SamplerKind.DDIM, steps, null, 0, 0,
                1L, null, false, null, Map.of(), null, null, null);
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
    void drainingSendsWhatWaitsAtOnceAndThenEnds() throws InterruptedException {
        DynamicBatcher b = batcher(8, BatchingPolicy.MIXED);
        b.add(job("a", "bag", 3, 20));
        assertNull(b.poll(now.get()), "not due yet");

        b.drain();

        assertEquals(3, b.take().images(), "no wait for the batch to fill");
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
}
