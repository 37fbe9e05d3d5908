package org.diffusionworker.worker;

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
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import javax.imageio.ImageIO;
import org.diffusionworker.diffusion.SamplerKind;
import org.diffusionworker.embedded.EmbeddedS3Server;
import org.diffusionworker.generation.Conditioning;
import org.diffusionworker.generation.GenerationEngine;
import org.diffusionworker.model.ModelLoader;
import org.diffusionworker.storage.MinioObjectStore;
import org.diffusionworker.storage.MinioStoreSettings;
import org.diffusionworker.storage.ObjectKeys;
import org.diffusionworker.storage.RetrySettings;
import org.diffusionworker.testing.GridCells;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The worker without Kafka: the tiny random-weight model, a real S3 server (S3Proxy) and the worker's own threads.
 */
class GenerationWorkerTest {

    static final Path MODEL = Path.of("src/test/resources/models/random-gray28");
    static final Duration WAIT = Duration.ofSeconds(60);

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

    static MinioStoreSettings storeSettings(EmbeddedS3Server server, String bucket) {
        return new MinioStoreSettings(server.endpoint(), server.region(), server.credentials().accessKey(),
                server.credentials().secretKey(), bucket, Duration.ofMinutes(10), Optional.empty(),
                new RetrySettings(2, Duration.ofMillis(50), Duration.ofMillis(100)), Duration.ofSeconds(2));
    }

    static GenerationWorker worker(WorkerSettings settings, MinioObjectStore store) {
        return worker(settings, store, WorkerListener.NONE);
    }

    static GenerationWorker worker(WorkerSettings settings, MinioObjectStore store, WorkerListener listener) {
        GenerationEngine engine = new GenerationEngine(ModelLoader.fromDirectory(MODEL, Device.cpu()));
        GenerationWorker worker = new GenerationWorker(settings, List.of(engine), store, new ObjectKeys("generations"),
                listener);
        worker.start();
        return worker;
    }

    /** Counts forward passes and batches that joined one in progress. */
    static final class PassCounter implements WorkerListener {
        final AtomicInteger passes = new AtomicInteger();
        final AtomicInteger joined = new AtomicInteger();

        @Override
        public void samplingStep(long nanos) {
            passes.incrementAndGet();
        }

        @Override
        public void batchStarted(int images, int requests, long oldestWaitNanos, boolean joinedOne) {
            joined.addAndGet(joinedOne ? 1 : 0);
        }
    }

    /** Collects outcomes by request id. */
    static final class Answers implements Consumer<Outcome> {
        final BlockingQueue<Outcome> queue = new LinkedBlockingQueue<>();

        @Override
        public void accept(Outcome outcome) {
            queue.add(outcome);
        }

        List<Outcome> await(int n) throws InterruptedException {
            List<Outcome> got = new ArrayList<>();
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (got.size() < n) {
                Outcome o = queue.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (o == null) {
                    throw new AssertionError("only " + got.size() + " of " + n + " answers within " + WAIT + ": " + got);
                }
                got.add(o);
            }
            return got;
        }

        Outcome one() throws InterruptedException {
            return await(1).get(0);
        }
    }

    /** {@code count} images of {@code label} by DDIM-5, seed 7, under a new id. */
    static GenerationRequest request(String label, int count) {
        return request(label, count, sampling(SamplerKind.DDIM, 5));
    }

    static GenerationRequest request(String label, int count, SamplingParameters sampling) {
        return new GenerationRequest("r-" + UUID.randomUUID(), Conditioning.label(label), count, sampling, null, null,
                null, null, null);
    }

    /** {@code sampler} at {@code steps} (null: the sampler's own), seed 7. */
    static SamplingParameters sampling(SamplerKind sampler, Integer steps) {
        return new SamplingParameters(sampler, steps, null, 0, 0, 7L);
    }

    /** {@code request} stored as {@code layout}, nothing else changed. */
    static GenerationRequest laidOut(GenerationRequest request, ResultLayout layout) {
        return request.with(new Delivery(null, false, layout, null));
    }

    @Test
    void compatibleRequestsArrivingTogetherShareABatchAndEachGetsItsGrid() throws Exception {
        WorkerSettings settings = WorkerSettings.defaults().withBatching(16, Duration.ofMillis(500), BatchingPolicy.MIXED);
        try (MinioObjectStore store = new MinioObjectStore(storeSettings(s3, "together"));
             GenerationWorker worker = worker(settings, store)) {
            assertTrue(worker.awaitWarm(WAIT));
            Answers answers = new Answers();
            List<GenerationRequest> sent = List.of(request("bag", 4), request("sneaker", 3), request("coat", 9));
            sent.forEach(r -> worker.submit(r, answers));

            List<Outcome> outcomes = answers.await(3);

            for (Outcome o : outcomes) {
                Outcome.Completed c = assertInstanceOf(Outcome.Completed.class, o, o.toString());
                BufferedImage png = ImageIO.read(new ByteArrayInputStream(store.get(c.grid().orElseThrow().key())));
                assertEquals(c.grid().orElseThrow().width(), png.getWidth());
                assertEquals(c.grid().orElseThrow().height(), png.getHeight());
                assertEquals("generations/" + c.requestId() + "/grid.png", c.grid().orElseThrow().key());
                assertEquals(7, c.parameters().seed());
                assertFalse(c.deduplicated());
            }
            Outcome.Completed coat = completed(outcomes, sent.get(2).requestId());
            // 16 + 0: the coat request (9) is split: 9 of 16 slots were left after bag (4) and sneaker (3).
            assertEquals(List.of(new Outcome.BatchShare(16, 3, 9)), coat.batches());
            assertEquals(92, coat.grid().orElseThrow().width(), "3 columns of 28 px images with 2 px borders");
        }
    }

    /**
     * Another tenant's request arriving while a full batch is being sampled joins it at the next step (continuous
     * batching, overtaking by up to diffusionworker.batching.overtake-images) instead of waiting for it to finish, and
     * both requests get exactly the images they get alone.
     */
    @Test
    void anotherTenantsRequestJoinsAFullBatchInProgressAndNeitherResultChanges() throws Exception {
        WorkerSettings settings = WorkerSettings.defaults().withBatching(4, Duration.ofMillis(10), BatchingPolicy.MIXED);
        PassCounter passes = new PassCounter();
        try (MinioObjectStore store = new MinioObjectStore(storeSettings(s3, "join"));
             GenerationWorker worker = worker(settings, store, passes)) {
            assertTrue(worker.awaitWarm(WAIT));
            GenerationRequest first = request("bag", 4, sampling(SamplerKind.DDIM, 40))
                    .with(new Scheduling(Priority.NORMAL, "a"));
            GenerationRequest joining = request("coat", 2, sampling(SamplerKind.DDIM, 40))
                    .with(new Scheduling(Priority.NORMAL, "b"));
            Answers answers = new Answers();
            worker.submit(first, answers);
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (worker.status().imagesInHand() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            worker.submit(joining, answers);
            List<Outcome> outcomes = answers.await(2);
            Outcome.Completed a = completed(outcomes, first.requestId());
            Outcome.Completed b = completed(outcomes, joining.requestId());
            assertEquals(List.of(new Outcome.BatchShare(2, 1, 2)), b.batches(), "its own batch, in the same passes");
            // Counted, not timed: joined, the two 40-step batches share passes; one after the other they take 80.
            assertEquals(1, passes.joined.get(), "the second batch joined the one in progress");
            assertTrue(passes.passes.get() < 80, passes.passes.get() + " passes for two batches of 40 steps");

            Answers alone = new Answers();
            GenerationRequest firstAlone = request("bag", 4, sampling(SamplerKind.DDIM, 40));
            GenerationRequest joiningAlone = request("coat", 2, sampling(SamplerKind.DDIM, 40));
            worker.submit(firstAlone, alone);
            assertSameImages(store, a, (Outcome.Completed) alone.one());
            worker.submit(joiningAlone, alone);
            assertSameImages(store, b, (Outcome.Completed) alone.one());
        }
    }

    /** Same grid pixels, to one 8-bit level (a row's float rounding may differ with the pass's size). */
    private static void assertSameImages(MinioObjectStore store, Outcome.Completed expected, Outcome.Completed actual)
            throws Exception {
        BufferedImage e = ImageIO.read(new ByteArrayInputStream(store.get(expected.grid().orElseThrow().key())));
        BufferedImage a = ImageIO.read(new ByteArrayInputStream(store.get(actual.grid().orElseThrow().key())));
        assertEquals(e.getWidth(), a.getWidth());
        int worst = 0;
        for (int y = 0; y < e.getHeight(); y++) {
            for (int x = 0; x < e.getWidth(); x++) {
                worst = Math.max(worst, Math.abs((e.getRGB(x, y) & 0xff) - (a.getRGB(x, y) & 0xff)));
            }
        }
        assertTrue(worst <= 1, "grids differ by " + worst + " levels");
    }

    @Test
    void requestLargerThanABatchIsSplitAndReassembledInOrder() throws Exception {
        WorkerSettings settings = WorkerSettings.defaults().withBatching(4, Duration.ofMillis(10), BatchingPolicy.MIXED);
        try (MinioObjectStore store = new MinioObjectStore(storeSettings(s3, "split"));
             GenerationWorker worker = worker(settings, store)) {
            Answers answers = new Answers();
            GenerationRequest big = request("bag", 10);
            worker.submit(big, answers);
            Outcome.Completed split = assertInstanceOf(Outcome.Completed.class, answers.one());
            assertEquals(List.of(4, 4, 2), split.batches().stream().map(Outcome.BatchShare::ownImages).toList());

            // The same seed and parameters in one batch of 16 give the same PNG: batching does not change pixels.
            WorkerSettings whole = WorkerSettings.defaults().withBatching(16, Duration.ofMillis(10), BatchingPolicy.MIXED);
            try (MinioObjectStore other = new MinioObjectStore(storeSettings(s3, "split-whole"));
                 GenerationWorker single = worker(whole, other)) {
                single.submit(big, answers);
                Outcome.Completed once = assertInstanceOf(Outcome.Completed.class, answers.one());
                assertEquals(1, once.batches().size());
                assertTrue(java.util.Arrays.equals(store.get(split.grid().orElseThrow().key()),
                        other.get(once.grid().orElseThrow().key())),
                        "same PNG bytes however the request was batched");
            }
        }
    }

    @Test
    void duplicateRequestIsAnsweredFromTheStoredGridAndDifferentParametersAreAConflict() throws Exception {
        try (MinioObjectStore store = new MinioObjectStore(storeSettings(s3, "duplicates"));
             GenerationWorker worker = worker(WorkerSettings.defaults(), store)) {
            Answers answers = new Answers();
            GenerationRequest first = request("trouser", 2,
                    new SamplingParameters(SamplerKind.DDIM, 5, null, 0, 0, null));
            worker.submit(first, answers);
            Outcome.Completed made = assertInstanceOf(Outcome.Completed.class, answers.one());
            assertTrue(made.parameters().seedDrawn());

            worker.submit(first, answers);
            Outcome.Completed again = assertInstanceOf(Outcome.Completed.class, answers.one());
            assertTrue(again.deduplicated(), "not sampled again");
            assertEquals(List.of(), again.batches());
            assertEquals(made.parameters().seed(), again.parameters().seed(), "the drawn seed is reported again");
            assertEquals(made.grid().orElseThrow().key(), again.grid().orElseThrow().key());

            worker.submit(new GenerationRequest(first.requestId(), first.conditioning(), 3, first.sampling(), null,
                    null, null, null, null), answers);
            Outcome.Failed conflict = assertInstanceOf(Outcome.Failed.class, answers.one());
            assertEquals(ErrorCode.CONFLICT, conflict.code());
        }
    }

    @Test
    void eachLayoutStoresItsObjectsWithItsDoneMarkerLastAndAnotherLayoutUnderTheSameIdIsAConflict() throws Exception {
        ObjectKeys keys = new ObjectKeys("generations");
        try (MinioObjectStore store = new MinioObjectStore(storeSettings(s3, "layouts"));
             GenerationWorker worker = worker(WorkerSettings.defaults(), store)) {
            Answers answers = new Answers();
            GenerationRequest both = laidOut(request("bag", 3), ResultLayout.BOTH);
            worker.submit(both, answers);
            Outcome.Completed made = assertInstanceOf(Outcome.Completed.class, answers.one());
            String id = both.requestId();
            assertEquals(keys.grid(id), made.grid().orElseThrow().key());
            BufferedImage grid = GridCells.png(store.get(keys.grid(id)));
            assertEquals(List.of(0, 1, 2), made.images().stream().map(Outcome.StoredImage::index).toList());
            for (Outcome.StoredImage image : made.images()) {
                assertEquals("generations/" + id + "/images/" + image.index() + ".png", image.key());
                assertEquals(store.url(image.key()).split("\\?")[0], image.url().split("\\?")[0]);
                BufferedImage png = GridCells.png(store.get(image.key()));
                assertEquals(28, png.getWidth());
                assertEquals(28, png.getHeight());
                assertNull(GridCells.differenceFromCell(grid, png, image.index(), 2, 3));
            }
            assertEquals("both", store.stat(keys.grid(id)).orElseThrow().metadata().get("layout"));
            assertTrue(store.stat(keys.imagesManifest(id)).isEmpty(), "layout both: the grid is its done marker");

            GenerationRequest images = laidOut(request("coat", 2,
                    new SamplingParameters(SamplerKind.DDIM, 5, null, 0, 0, null)), ResultLayout.IMAGES);
            worker.submit(images, answers);
            Outcome.Completed single = assertInstanceOf(Outcome.Completed.class, answers.one());
            String imagesId = images.requestId();
            assertTrue(single.grid().isEmpty());
            assertTrue(store.stat(keys.grid(imagesId)).isEmpty(), "layout images stores no grid");
            var manifest = store.stat(keys.imagesManifest(imagesId)).orElseThrow();
            assertEquals("images", manifest.metadata().get("layout"));
            assertEquals(ResultStore.JSON, manifest.contentType());
            assertEquals("{\"requestId\":\"" + imagesId + "\",\"layout\":\"images\",\"count\":2,\"images\":["
                    + "{\"index\":0,\"key\":\"generations/" + imagesId + "/images/0.png\"},"
                    + "{\"index\":1,\"key\":\"generations/" + imagesId + "/images/1.png\"}]}",
                    new String(store.get(keys.imagesManifest(imagesId)), java.nio.charset.StandardCharsets.UTF_8));
            assertEquals(2, single.images().size());

            worker.submit(images, answers);
            Outcome.Completed again = assertInstanceOf(Outcome.Completed.class, answers.one());
            assertTrue(again.deduplicated(), "answered from images.json, not sampled again");
            assertEquals(single.parameters().seed(), again.parameters().seed(), "the drawn seed, again");
            assertEquals(single.images().stream().map(Outcome.StoredImage::key).toList(),
                    again.images().stream().map(Outcome.StoredImage::key).toList());
            assertTrue(again.grid().isEmpty());

            for (GenerationRequest other : List.of(laidOut(images, ResultLayout.GRID),
                    laidOut(images, ResultLayout.BOTH), laidOut(both, ResultLayout.IMAGES),
                    laidOut(both, ResultLayout.GRID))) {
                worker.submit(other, answers);
                Outcome.Failed conflict = assertInstanceOf(Outcome.Failed.class, answers.one(), other.toString());
                assertEquals(ErrorCode.CONFLICT, conflict.code(), other.delivery().layout() + " over another layout");
            }
            assertTrue(store.stat(keys.grid(imagesId)).isEmpty(), "a conflict writes nothing");
        }
    }

    @Test
    void sameRequestTwiceInFlightIsSampledOnce() throws Exception {
        WorkerSettings settings = WorkerSettings.defaults().withBatching(16, Duration.ofMillis(300), BatchingPolicy.MIXED);
        try (MinioObjectStore store = new MinioObjectStore(storeSettings(s3, "in-flight"));
             GenerationWorker worker = worker(settings, store)) {
            Answers answers = new Answers();
            GenerationRequest r = request("dress", 2);
            worker.submit(r, answers);
            worker.submit(r, answers);
            worker.submit(r.with(new SamplingParameters(SamplerKind.DDIM, 5, null, 0, 1, 7L)), answers);

            List<Outcome> outcomes = answers.await(3);

            assertEquals(1, outcomes.stream().filter(o -> o instanceof Outcome.Failed f && f.code() == ErrorCode.CONFLICT).count());
            List<Outcome.Completed> completed = outcomes.stream().filter(Outcome.Completed.class::isInstance)
                    .map(Outcome.Completed.class::cast).toList();
            assertEquals(2, completed.size());
            assertEquals(1, completed.stream().filter(c -> !c.deduplicated()).count(), "sampled once");
        }
    }

    @Test
    void requestFaultsAreAnsweredAtOnceWithTheirCode() throws Exception {
        try (MinioObjectStore store = new MinioObjectStore(storeSettings(s3, "faults"));
             GenerationWorker worker = worker(WorkerSettings.defaults(), store)) {
            Answers answers = new Answers();
            worker.submit(request("unicorn", 1), answers);
            worker.submit(request("bag", 65), answers);
            worker.submit(request("bag", 1, sampling(SamplerKind.DDIM, 501)), answers);
            worker.submit(request("bag", 1, sampling(SamplerKind.DDPM, 20)), answers);
            worker.submit(new GenerationRequest("r-" + UUID.randomUUID(), Conditioning.label("bag"), 1,
                    sampling(SamplerKind.DDIM, 5), null, null, Instant.now().minusSeconds(1), null, null), answers);

            List<ErrorCode> codes = answers.await(5).stream().map(o -> ((Outcome.Failed) o).code()).toList();

            assertEquals(List.of(ErrorCode.UNKNOWN_LABEL, ErrorCode.LIMIT_EXCEEDED, ErrorCode.LIMIT_EXCEEDED,
                    ErrorCode.INVALID_REQUEST, ErrorCode.EXPIRED), codes);
        }
    }

    @Test
    void storageOutageMakesTheWorkerUnreadyAndFailsRequestsOnlyAfterTheLimit() throws Exception {
        Path data = directory.resolve("outage");
        EmbeddedS3Server server = EmbeddedS3Server.builder(data).build().start();
        int port = server.endpoint().getPort();
        MinioStoreSettings access = storeSettings(server, "outage");
        WorkerSettings shortLimit = WorkerSettings.defaults().withStorageOutage(Duration.ofSeconds(2), Duration.ofMillis(200));
        WorkerSettings longLimit = WorkerSettings.defaults().withStorageOutage(Duration.ofMinutes(2), Duration.ofMillis(200));
        try (MinioObjectStore store = new MinioObjectStore(access);
             GenerationWorker impatient = worker(shortLimit, store);
             GenerationWorker patient = worker(longLimit, store)) {
            assertTrue(impatient.awaitWarm(WAIT) && patient.awaitWarm(WAIT));
            assertTrue(impatient.status().ready());
            server.close();

            Answers failing = new Answers();
            long start = System.nanoTime();
            impatient.submit(request("bag", 1), failing);
            Outcome.Failed failed = assertInstanceOf(Outcome.Failed.class, failing.one());
            assertEquals(ErrorCode.STORAGE_UNAVAILABLE, failed.code());
            assertTrue(System.nanoTime() - start >= Duration.ofSeconds(2).toNanos(), "waited out the limit first");
            assertFalse(impatient.status().ready());

            Answers waiting = new Answers();
            patient.submit(request("sneaker", 1), waiting);
            assertTrue(waiting.queue.isEmpty(), "waits for the store rather than failing");
            // The same port, data and credentials: the store comes back while the request waits.
            try (EmbeddedS3Server restarted = EmbeddedS3Server.builder(data).port(port)
                    .credentials(server.credentials()).build().start()) {
                assertInstanceOf(Outcome.Completed.class, waiting.one());
                assertTrue(patient.status().ready());
            }
        }
    }

    @Test
    void aTransientEngineFaultIsRetriedWithTheWorkerUnreadyMeanwhileAndTheRequestCompletes() throws Exception {
        FlakyModel model = new FlakyModel(ModelLoader.fromDirectory(MODEL, Device.cpu()));
        // A backoff long enough that the unready spell is seen even on a busy machine.
        WorkerSettings settings = WorkerSettings.defaults().withSamplingRetry(3, Duration.ofSeconds(3));
        try (MinioObjectStore store = new MinioObjectStore(storeSettings(s3, "flaky"));
             GenerationWorker worker = new GenerationWorker(settings, List.of(new GenerationEngine(model)), store,
                     new ObjectKeys("generations"), WorkerListener.NONE)) {
            worker.start();
            assertTrue(worker.awaitWarm(WAIT));
            model.failNext(1);
            Answers answers = new Answers();
            worker.submit(request("coat", 2), answers);
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (worker.status().ready() && answers.queue.isEmpty() && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            assertFalse(worker.status().ready(), "unready while the engine fails");
            assertInstanceOf(Outcome.Completed.class, answers.one(), "retried, not failed");
            assertTrue(worker.status().ready(), "ready again once a batch succeeded");
        }
    }

    @Test
    void anEngineThatKeepsFailingFailsTheRequestInternalAfterItsAttempts() throws Exception {
        FlakyModel model = new FlakyModel(ModelLoader.fromDirectory(MODEL, Device.cpu()));
        WorkerSettings settings = WorkerSettings.defaults().withSamplingRetry(3, Duration.ofMillis(50));
        try (MinioObjectStore store = new MinioObjectStore(storeSettings(s3, "broken"));
             GenerationWorker worker = new GenerationWorker(settings, List.of(new GenerationEngine(model)), store,
                     new ObjectKeys("generations"), WorkerListener.NONE)) {
            worker.start();
            assertTrue(worker.awaitWarm(WAIT));
            model.failNext(Integer.MAX_VALUE);
            Answers answers = new Answers();
            worker.submit(request("coat", 2), answers);
            Outcome.Failed failed = assertInstanceOf(Outcome.Failed.class, answers.one());
            assertEquals(ErrorCode.INTERNAL, failed.code());
            assertTrue(failed.message().contains("3 time(s)"), failed.message());
            assertFalse(worker.status().ready());
            assertEquals(0, worker.status().pendingImages(), "its images were released");
        }
    }

    private static Outcome.Completed completed(List<Outcome> outcomes, String id) {
        return outcomes.stream().filter(o -> o.requestId().equals(id)).map(Outcome.Completed.class::cast).findFirst()
                .orElseThrow();
    }

}
