package org.diffusionworker.worker;

import static org.diffusionworker.worker.GenerationWorkerTest.WAIT;
import static org.diffusionworker.worker.GenerationWorkerTest.request;
import static org.diffusionworker.worker.GenerationWorkerTest.sampling;
import static org.diffusionworker.worker.GenerationWorkerTest.storeSettings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.diffusionworker.diffusion.SamplerKind;
import org.diffusionworker.embedded.EmbeddedS3Server;
import org.diffusionworker.generation.GenerationEngine;
import org.diffusionworker.model.ModelLoader;
import org.diffusionworker.storage.MinioObjectStore;
import org.diffusionworker.storage.ObjectKeys;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A request's life in the worker without Kafka: STARTED and PROGRESS in order and throttled, and cancel in every state
 * (queued, running, before arrival, after completion, redelivered), with the real model and a real S3 server.
 */
class RequestLifecycleTest {

    @TempDir
    static Path directory;

    static EmbeddedS3Server s3;

    @BeforeAll
    static void startStore() {
        s3 = EmbeddedS3Server.builder(directory.resolve("s3")).build().start();
    }

    @AfterAll
    static void stopStore() {
        s3.close();
    }

    /** Everything the worker tells about requests, in the order it told it. */
    static final class Recorder implements RequestObserver {
        record Seen(Object what, long atNanos) {}

        final BlockingQueue<Seen> seen = new LinkedBlockingQueue<>();

        @Override
        public void started(RequestProgress.Started started) {
            seen.add(new Seen(started, System.nanoTime()));
        }

        @Override
        public void progress(RequestProgress.Step step) {
            seen.add(new Seen(step, System.nanoTime()));
        }

        @Override
        public void finished(Outcome outcome) {
            seen.add(new Seen(outcome, System.nanoTime()));
        }

        /** Everything up to and including the terminal outcome of {@code requestId}. */
        List<Seen> until(String requestId) throws InterruptedException {
            List<Seen> got = new ArrayList<>();
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (true) {
                Seen s = seen.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (s == null) {
                    throw new AssertionError("no outcome for " + requestId + " within " + WAIT + "; saw " + got);
                }
                got.add(s);
                if (s.what() instanceof Outcome o && o.requestId().equals(requestId)) {
                    return got;
                }
            }
        }

        Outcome outcome(String requestId) throws InterruptedException {
            List<Seen> all = until(requestId);
            return (Outcome) all.get(all.size() - 1).what();
        }
    }

    private static WorkerSettings settings(Duration queueDelay) {
        return WorkerSettings.defaults().withBatching(16, queueDelay, BatchingPolicy.MIXED)
                .withLifecycle(new WorkerSettings.Lifecycle(Duration.ofMillis(100), Duration.ofMinutes(15), 1000));
    }

    private static GenerationWorker worker(WorkerSettings settings, MinioObjectStore store, FlakyModel model) {
        GenerationWorker worker = new GenerationWorker(settings, List.of(new GenerationEngine(model)), store,
                new ObjectKeys("generations"), WorkerListener.NONE);
        worker.start();
        return worker;
    }

    private static FlakyModel model() {
        return new FlakyModel(ModelLoader.fromDirectory(GenerationWorkerTest.MODEL, Device.cpu()));
    }

    private static GenerationRequest following(GenerationRequest r) {
        return r.with(new Delivery(null, false, null, Set.of(RequestEvent.STARTED, RequestEvent.PROGRESS)));
    }

    @Test
    void startedThenStrictlyIncreasingThrottledProgressThenCompletedForDdimAndDdpm() throws Exception {
        try (MinioObjectStore store = new MinioObjectStore(storeSettings(s3, "order"));
             GenerationWorker worker = worker(settings(Duration.ofMillis(10)), store, model())) {
            assertTrue(worker.awaitWarm(WAIT));
            for (GenerationRequest r : List.of(following(request("bag", 2, sampling(SamplerKind.DDIM, 400))),
                    following(request("coat", 2, sampling(SamplerKind.DDPM, null))))) {
                Recorder recorder = new Recorder();
                long sent = System.nanoTime();
                worker.submit(r, recorder);
                List<Recorder.Seen> seen = recorder.until(r.requestId());
                long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sent);

                RequestProgress.Started started = assertInstanceOf(RequestProgress.Started.class, seen.get(0).what());
                assertEquals(2, started.batchImages());
                assertEquals(1, started.batchRequests());
                assertInstanceOf(Outcome.Completed.class, seen.get(seen.size() - 1).what());
                List<Recorder.Seen> progress = seen.subList(1, seen.size() - 1);
                assertFalse(progress.isEmpty(), "a run of " + elapsedMs + " ms reports progress");
                int last = 0;
                long lastAt = 0;
                for (Recorder.Seen s : progress) {
                    RequestProgress.Step step = assertInstanceOf(RequestProgress.Step.class, s.what());
                    assertTrue(step.step() > last, "strictly increasing: " + step.step() + " after " + last);
                    assertEquals(r.sampling().sampler() == SamplerKind.DDPM ? 500 : 400, step.steps());
                    assertTrue(step.etaMs() >= 0);
                    if (lastAt != 0) {
                        // Seen here a few microseconds after the hook decided; allow that much, not more.
                        assertTrue(s.atNanos() - lastAt >= TimeUnit.MILLISECONDS.toNanos(99),
                                "at most one PROGRESS per 100 ms");
                    }
                    last = step.step();
                    lastAt = s.atNanos();
                }
                assertTrue(progress.size() <= elapsedMs / 100 + 1, progress.size() + " events in " + elapsedMs + " ms");
            }
        }
    }

    @Test
    void withoutEventsAskedOnlyTheOutcomeComes() throws Exception {
        try (MinioObjectStore store = new MinioObjectStore(storeSettings(s3, "quiet"));
             GenerationWorker worker = worker(settings(Duration.ofMillis(10)), store, model())) {
            Recorder recorder = new Recorder();
            GenerationRequest r = request("bag", 2, sampling(SamplerKind.DDIM, 50));
            worker.submit(r, recorder);
            List<Recorder.Seen> seen = recorder.until(r.requestId());
            assertEquals(1, seen.size(), seen.toString());
        }
    }

    @Test
    void aQueuedRequestCanceledIsAnsweredOnceWithNothingSampledOrStored() throws Exception {
        // A long queue delay keeps a lone small request waiting for its batch.
        try (MinioObjectStore store = new MinioObjectStore(storeSettings(s3, "queued"));
             GenerationWorker worker = worker(settings(Duration.ofSeconds(30)), store, model())) {
            assertTrue(worker.awaitWarm(WAIT));
            Recorder recorder = new Recorder();
            GenerationRequest r = following(request("bag", 2));
            worker.submit(r, recorder);
            awaitState(worker, r.requestId(), RequestState.QUEUED);

            assertEquals(CancelEffect.CANCELED_QUEUED, worker.cancel(r.requestId()));

            List<Recorder.Seen> seen = recorder.until(r.requestId());
            assertEquals(1, seen.size(), "no STARTED: nothing was sampled");
            Outcome.Canceled canceled = assertInstanceOf(Outcome.Canceled.class, seen.get(0).what());
            assertEquals(Outcome.CancelPoint.QUEUED, canceled.canceledWhile());
            assertEquals(0, worker.status().queuedImages());
            assertEquals(0, worker.status().pendingImages());
            assertTrue(store.stat("generations/" + r.requestId() + "/grid.png").isEmpty(), "nothing stored");
            assertEquals(CancelEffect.NOT_HERE, worker.cancel(r.requestId()), "a second cancel finds nothing");
            assertNull(recorder.seen.poll(200, TimeUnit.MILLISECONDS), "answered once");
        }
    }

    @Test
    void aRunningRequestLeavesItsBatchAndItsNeighbourComesOutAsIfAlone() throws Exception {
        FlakyModel model = model();
        try (MinioObjectStore store = new MinioObjectStore(storeSettings(s3, "running"));
             GenerationWorker worker = worker(settings(Duration.ofSeconds(2)), store, model)) {
            assertTrue(worker.awaitWarm(WAIT));
            Recorder recorder = new Recorder();
            GenerationRequest canceled = following(request("bag", 2, sampling(SamplerKind.DDPM, null)));
            GenerationRequest neighbour = request("sneaker", 2, new SamplingParameters(SamplerKind.DDPM, null, null, 0, 0,
                    11L));
            model.holdPass(250);
            worker.submit(canceled, recorder);
            worker.submit(neighbour, recorder);
            assertTrue(model.awaitHeld(WAIT), "the shared DDPM batch reached step 250");

            assertEquals(CancelEffect.CANCELED_RUNNING, worker.cancel(canceled.requestId()));
            model.release();

            Outcome.Canceled gone = assertInstanceOf(Outcome.Canceled.class, recorder.outcome(canceled.requestId()));
            assertEquals(Outcome.CancelPoint.RUNNING, gone.canceledWhile());
            assertTrue(gone.stepsDone() >= 240 && gone.stepsDone() < 500, "steps done: " + gone.stepsDone());
            Outcome.Completed kept = assertInstanceOf(Outcome.Completed.class, recorder.outcome(neighbour.requestId()));
            assertEquals(List.of(new Outcome.BatchShare(4, 2, 2)), kept.batches(), "they shared one batch");
            assertTrue(store.stat("generations/" + canceled.requestId() + "/grid.png").isEmpty(), "nothing stored");

            try (MinioObjectStore other = new MinioObjectStore(storeSettings(s3, "running-alone"));
                 GenerationWorker alone = worker(settings(Duration.ofMillis(10)), other, model())) {
                Recorder solo = new Recorder();
                alone.submit(neighbour, solo);
                Outcome.Completed single = assertInstanceOf(Outcome.Completed.class, solo.outcome(neighbour.requestId()));
                assertSamePixels(store.get(kept.grid().orElseThrow().key()),
                        other.get(single.grid().orElseThrow().key()));
            }
        }
    }

    @Test
    void aCancelBeforeArrivalAnswersTheRequestAndItsRedeliveryCanceled() throws Exception {
        try (MinioObjectStore store = new MinioObjectStore(storeSettings(s3, "early"));
             GenerationWorker worker = worker(settings(Duration.ofMillis(10)), store, model())) {
            GenerationRequest r = following(request("bag", 2));
            assertEquals(CancelEffect.NOT_HERE, worker.cancel(r.requestId()));
            for (int delivery = 1; delivery <= 2; delivery++) {
                Recorder recorder = new Recorder();
                worker.submit(r, recorder);
                List<Recorder.Seen> seen = recorder.until(r.requestId());
                assertEquals(1, seen.size(), "delivery " + delivery + ": only the terminal event");
                Outcome.Canceled c = assertInstanceOf(Outcome.Canceled.class, seen.get(0).what());
                assertEquals(Outcome.CancelPoint.BEFORE_ARRIVAL, c.canceledWhile());
            }
            assertTrue(store.stat("generations/" + r.requestId() + "/grid.png").isEmpty());
            assertEquals(1, worker.rememberedCancels());
        }
    }

    @Test
    void aCancelAfterCompletionChangesNothing() throws Exception {
        try (MinioObjectStore store = new MinioObjectStore(storeSettings(s3, "late"));
             GenerationWorker worker = worker(settings(Duration.ofMillis(10)), store, model())) {
            GenerationRequest r = request("bag", 2);
            Recorder recorder = new Recorder();
            worker.submit(r, recorder);
            Outcome.Completed done = assertInstanceOf(Outcome.Completed.class, recorder.outcome(r.requestId()));
            byte[] stored = store.get(done.grid().orElseThrow().key());

            assertEquals(CancelEffect.NOT_HERE, worker.cancel(r.requestId()));
            assertNull(recorder.seen.poll(200, TimeUnit.MILLISECONDS), "no event for a late cancel");

            // Its redelivery (a commit lost) is still answered from the stored result, not CANCELED.
            worker.submit(r, recorder);
            Outcome.Completed again = assertInstanceOf(Outcome.Completed.class, recorder.outcome(r.requestId()));
            assertTrue(again.deduplicated());
            assertTrue(java.util.Arrays.equals(stored, store.get(done.grid().orElseThrow().key())),
                    "the stored result stays");
        }
    }

    @Test
    void aCancelWhileStoringIsTooLate() throws Exception {
        Job job = new Job(request("bag", 1), new Outcome.EffectiveParameters("bag", 1,
                org.diffusionworker.diffusion.SamplerSettings.ddim(5, 0), 0, 7, false, 1, false, ResultLayout.GRID),
                new float[10],
                "label:bag", "f", 0, Long.MAX_VALUE / 4, RequestObserver.of(o -> { }), 1);
        assertTrue(job.moveTo(RequestState.QUEUED));
        assertTrue(job.batchStarted(0, 1, 1));
        assertEquals(RequestState.RUNNING, job.state());
        assertTrue(job.moveTo(RequestState.STORING));
        assertFalse(job.cancel(), "sampled: too late");
        assertEquals(RequestState.STORING, job.state());
        assertFalse(job.outcome().isDone());
    }

    private static void awaitState(GenerationWorker worker, String requestId, RequestState state) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (worker.stateOf(requestId).orElse(null) != state) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(requestId + " never reached " + state);
            }
            Thread.onSpinWait();
        }
    }

    /** Two PNGs with the same size and pixels within one grey level (the floats agree to 1e-4 before rounding). */
    private static void assertSamePixels(byte[] a, byte[] b) throws Exception {
        BufferedImage x = ImageIO.read(new ByteArrayInputStream(a));
        BufferedImage y = ImageIO.read(new ByteArrayInputStream(b));
        assertEquals(x.getWidth(), y.getWidth());
        assertEquals(x.getHeight(), y.getHeight());
        int worst = 0;
        for (int j = 0; j < x.getHeight(); j++) {
            for (int i = 0; i < x.getWidth(); i++) {
                worst = Math.max(worst, Math.abs((x.getRGB(i, j) & 0xff) - (y.getRGB(i, j) & 0xff)));
            }
        }
        assertTrue(worst <= 1, "pixels differ by up to " + worst + " grey levels");
    }
}
