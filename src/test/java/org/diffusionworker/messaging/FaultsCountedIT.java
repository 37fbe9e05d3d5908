package org.diffusionworker.messaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.diffusionworker.embedded.EmbeddedKafkaBroker;
import org.diffusionworker.embedded.EmbeddedS3Server;
import org.diffusionworker.testing.ProcessTestInfrastructure;
import org.diffusionworker.testing.TestKafka;
import org.diffusionworker.testing.WorkerProcess;
import org.diffusionworker.testing.WorkerTestConfig;
import org.jboss.logging.Logger;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Faults injected in the middle of a stream of mixed requests (a worker killed or stopped, one of two killed, the
 * broker restarted, the object store down for a while or past the outage limit), every request counted: each id must end with a
 * terminal event, no stored image may be missing or corrupt, and duplicates are counted (and, where the fault allows
 * none, required to be zero). The worker runs as a separate process (the packaged application). Part of
 * {@code ./mvnw verify}; tagged {@code faults} so that it can be left out (docs/reliability.md has the figures).
 */
@Tag("faults")
class FaultsCountedIT extends ProcessTestInfrastructure {

    private static final Logger LOG = Logger.getLogger(FaultsCountedIT.class);
    // 40 (60 until 2026-12-08): enough to have batches in flight and queued at the fault, and keeps verify short.
    private static final int REQUESTS = 40;
    private static final Duration ALL_ANSWERED = Duration.ofMinutes(6);
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @Test
    void sigkillMidStreamThenRestartLosesNothing() throws Exception {
        List<String> ids = ids("kill");
        WorkerProcess first = WorkerProcess.start(directory, kafka, s3, "kill-1", Map.of());
        first.awaitReady();
        send(clients, ids);
        first.awaitBatchInProgress();
        awaitSomeAnswered(clients, ids, REQUESTS / 4);
        first.process().destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        WorkerProcess second = WorkerProcess.start(directory, kafka, s3, "kill-2", Map.of());
        try {
            second.awaitReady();
            Tally tally = count(clients, "SIGKILL mid-batch, restart", ids);
            assertEquals(0, tally.lost, tally.toString());
            // Answers are committed with their offsets: what the killed worker had not committed is invisible.
            assertEquals(0, tally.duplicates, tally.toString());
            assertEquals(REQUESTS, tally.completed, tally.toString());
        } finally {
            stop(second);
        }
    }

    /**
     * Cancels in flight across a SIGKILL: a third of the requests are canceled (some before the kill, some right
     * after, one before it was even sent), the worker is killed mid-batch and restarted. Every request must end with
     * one terminal outcome, COMPLETED or CANCELED, never both; a redelivered answer repeats the same one (same
     * {@code ce_id}), and nothing is lost.
     */
    @Test
    void sigkillWithCancelsInFlightLeavesEveryRequestOneTerminalOutcome() throws Exception {
        List<String> ids = ids("kill-cancel");
        List<String> canceled = new ArrayList<>();
        for (int i = 0; i < ids.size(); i += 3) {
            canceled.add(ids.get(i));
        }
        WorkerProcess first = WorkerProcess.start(directory, kafka, s3, "kill-cancel-1", Map.of());
        first.awaitReady();
        clients.cancel(canceled.get(canceled.size() - 1)); // before the request is sent
        send(clients, ids);
        first.awaitBatchInProgress();
        List<String> beforeKill = canceled.subList(0, canceled.size() / 2);
        beforeKill.forEach(clients::cancel);
        awaitSomeAnswered(clients, ids, REQUESTS / 4);
        first.process().destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        canceled.subList(canceled.size() / 2, canceled.size() - 1).forEach(clients::cancel); // while it is down
        WorkerProcess second = WorkerProcess.start(directory, kafka, s3, "kill-cancel-2", Map.of());
        try {
            second.awaitReady();
            Tally tally = count(clients, "SIGKILL mid-batch with cancels in flight, restart", ids);
            assertEquals(0, tally.lost, tally.toString());
            assertEquals(0, tally.duplicates, tally.toString());
            int contradictions = 0;
            int oneOutcome = 0;
            for (String id : ids) {
                List<TestKafka.Event> terminal = clients.eventsOf(id).stream().filter(TestKafka.Event::terminal)
                        .toList();
                java.util.Set<String> outcomes = new java.util.TreeSet<>();
                java.util.Set<String> eventIds = new java.util.TreeSet<>();
                terminal.forEach(e -> {
                    outcomes.add(e.status());
                    eventIds.add(e.headers().get("ce_id"));
                });
                contradictions += outcomes.size() > 1 ? 1 : 0;
                oneOutcome += eventIds.size() == 1 ? 1 : 0;
                if (!canceled.contains(id)) {
                    assertEquals(java.util.Set.of("COMPLETED"), outcomes, id + " was not canceled");
                }
            }
            long canceledAnswers = canceled.stream().filter(id -> clients.eventsOf(id).stream()
                    .anyMatch(e -> "CANCELED".equals(e.status()))).count();
            LOG.infof("faults: cancels in flight across a SIGKILL: %d of %d canceled requests answered CANCELED (the"
                    + " rest had finished first), %d contradictions, %d of %d requests with one terminal ce_id",
                    canceledAnswers, canceled.size(), contradictions, oneOutcome, ids.size());
            assertEquals(0, contradictions, "no request both COMPLETED and CANCELED");
            assertEquals(ids.size(), oneOutcome, "every terminal event of a request has the same ce_id");
            assertTrue(canceledAnswers >= 1, "some cancels took effect");
            assertTrue(clients.eventsOf(canceled.get(canceled.size() - 1)).stream()
                    .allMatch(e -> "CANCELED".equals(e.status())), "canceled before it was sent");
        } finally {
            stop(second);
        }
    }

    @Test
    void sigtermMidStreamFinishesTheBatchInHandWithoutDuplicates() throws Exception {
        List<String> ids = ids("term");
        WorkerProcess first = WorkerProcess.start(directory, kafka, s3, "term-1", Map.of());
        first.awaitReady();
        send(clients, ids);
        first.awaitBatchInProgress();
        awaitSomeAnswered(clients, ids, REQUESTS / 4);
        stop(first);
        WorkerProcess second = WorkerProcess.start(directory, kafka, s3, "term-2", Map.of());
        try {
            second.awaitReady();
            Tally tally = count(clients, "SIGTERM mid-batch, restart", ids);
            assertEquals(0, tally.lost, tally.toString());
            assertEquals(0, tally.duplicates, tally.toString());
            assertEquals(REQUESTS, tally.completed, tally.toString());
        } finally {
            stop(second);
        }
    }

    @Test
    void twoWorkersInOneGroupOneKilledTheOtherTakesOver() throws Exception {
        WorkerProcess a = WorkerProcess.start(directory, kafka, s3, "pair-a", Map.of());
        WorkerProcess b = WorkerProcess.start(directory, kafka, s3, "pair-b", Map.of());
        try {
            a.awaitLive();
            b.awaitLive();
            List<String> ids = ids("pair");
            send(clients, ids);
            awaitSomeAnswered(clients, ids, REQUESTS / 4);
            // The requests topic has one partition: one worker consumes it, the other waits in the group.
            // A rebalance may be under way: wait until exactly one of them is ready.
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            boolean aHolds = a.ready();
            while (aHolds == b.ready() && System.nanoTime() < deadline) {
                clients.poll();
                aHolds = a.ready();
            }
            assertTrue(aHolds != b.ready(), "exactly one worker holds the partition");
            WorkerProcess active = aHolds ? a : b;
            WorkerProcess standby = active == a ? b : a;
            active.process().destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            Tally tally = count(clients, "two workers in one group, the active one killed", ids);
            assertEquals(0, tally.lost, tally.toString());
            assertEquals(0, tally.duplicates, tally.toString());
            assertEquals(REQUESTS, tally.completed, tally.toString());
            assertTrue(awaitReadiness(standby, true, Duration.ofSeconds(30)), "the other worker took the partition");
        } finally {
            for (WorkerProcess w : List.of(a, b)) {
                if (w.process().isAlive()) {
                    stop(w);
                }
            }
        }
    }

    @Test
    void storageDownHalfAMinuteThenBackFailsNothing() throws Exception {
        Path data = directory.resolve("s3-outage");
        EmbeddedS3Server store = EmbeddedS3Server.builder(data).build().start();
        WorkerProcess worker = WorkerProcess.start(directory, kafka, store, "outage", Map.of(
                "diffusionworker.storage.outage-retry-interval", "1s"));
        try {
            worker.awaitReady();
            List<String> ids = ids("s3-down");
            send(clients, ids);
            awaitSomeAnswered(clients, ids, REQUESTS / 4);
            store.close();
            long down = System.nanoTime();
            boolean unready = awaitReadiness(worker, false, Duration.ofSeconds(30));
            while (System.nanoTime() - down < Duration.ofSeconds(30).toNanos()) {
                clients.poll(); // the store stays down 30 s
            }
            try (EmbeddedS3Server back = restarted(store, data)) {
                Tally tally = count(clients, "store down 30 s, then back", ids);
                assertTrue(unready, "readiness went down while the store was down");
                assertTrue(awaitReadiness(worker, true, Duration.ofSeconds(30)), "ready again");
                assertEquals(0, tally.lost, tally.toString());
                assertEquals(Map.of(), tally.failed, tally.toString());
                assertEquals(REQUESTS, tally.completed, tally.toString());
            }
        } finally {
            stop(worker);
        }
    }

    @Test
    void storageDownPastTheLimitFailsWhatWaitedAndThenConsumesAgain() throws Exception {
        Path data = directory.resolve("s3-long-outage");
        EmbeddedS3Server store = EmbeddedS3Server.builder(data).build().start();
        WorkerProcess worker = WorkerProcess.start(directory, kafka, store, "long-outage", Map.of(
                "diffusionworker.storage.outage-limit", "8s",
                "diffusionworker.storage.outage-retry-interval", "1s",
                "diffusionworker.storage.request-timeout", "2s"));
        try {
            worker.awaitReady();
            List<String> during = ids("s3-gone");
            store.close();
            send(clients, during);
            Tally failed = count(clients, "store down past the limit (8 s)", during);
            assertEquals(0, failed.lost, failed.toString());
            assertEquals(failed.sent, failed.completed + failed.failed.getOrDefault("STORAGE_UNAVAILABLE", 0),
                    "every request either completed or failed STORAGE_UNAVAILABLE: " + failed);
            assertTrue(failed.failed.getOrDefault("STORAGE_UNAVAILABLE", 0) > 0, failed.toString());
            try (EmbeddedS3Server back = restarted(store, data)) {
                List<String> after = ids("s3-back");
                send(clients, after);
                Tally recovered = count(clients, "store back after the outage", after);
                assertEquals(REQUESTS, recovered.completed, "consuming again: " + recovered);
            }
        } finally {
            stop(worker);
        }
    }

    @Test
    void brokerRestartedMidStreamLosesNothing() throws Exception {
        // A broker of its own, so that the other faults keep theirs.
        Path data = directory.resolve("kafka-restart");
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder(data).build().start();
        broker.createTopics(WorkerTestConfig.REQUESTS, WorkerTestConfig.EVENTS, WorkerTestConfig.DEAD_LETTERS,
                WorkerTestConfig.CONTROL);
        EmbeddedKafkaBroker back = null;
        try (TestKafka own = new TestKafka(broker.bootstrapServers())) {
            WorkerProcess worker = WorkerProcess.start(directory, broker, s3, "broker-restart", Map.of());
            try {
                worker.awaitReady();
                List<String> ids = ids("broker");
                send(own, ids);
                worker.awaitBatchInProgress();
                awaitSomeAnswered(own, ids, REQUESTS / 4);
                long answered = ids.stream().filter(id -> own.eventsFor(id) > 0).count();
                broker.close();
                LOG.infof("broker stopped with %d of %d requests answered", answered, REQUESTS);
                assertTrue(answered < REQUESTS, "the fault came mid-stream");
                long down = System.nanoTime();
                while (System.nanoTime() - down < Duration.ofSeconds(15).toNanos()) {
                    clients.poll(); // paces the wait: the broker stays down 15 s while the worker goes on sampling
                }
                back = EmbeddedKafkaBroker.builder(data).brokerPort(broker.brokerPort())
                        .controllerPort(broker.controllerPort()).build().start();
                Tally tally = count(own, "broker down 15 s mid-stream, restarted", ids);
                assertEquals(0, tally.lost, tally.toString());
                assertEquals(0, tally.duplicates, tally.toString());
                assertEquals(REQUESTS, tally.completed, tally.toString());
                assertTrue(worker.process().isAlive(), "the worker rode out the broker restart");
            } finally {
                stop(worker);
            }
        } finally {
            if (back != null) {
                back.close();
            }
            broker.close();
        }
    }

    /** The same S3 server again: same port, data and credentials. */
    private static EmbeddedS3Server restarted(EmbeddedS3Server store, Path data) {
        return EmbeddedS3Server.builder(data).port(store.endpoint().getPort()).credentials(store.credentials()).build()
                .start();
    }

    private static boolean awaitReadiness(WorkerProcess worker, boolean ready, Duration within) {
        long deadline = System.nanoTime() + within.toNanos();
        while (System.nanoTime() < deadline) {
            if (worker.ready() == ready) {
                return true;
            }
            clients.poll(); // paces the probe
        }
        return false;
    }

    private static void stop(WorkerProcess worker) throws InterruptedException {
        worker.process().destroy();
        assertTrue(worker.process().waitFor(120, TimeUnit.SECONDS), "exits within its grace period");
    }

    /** REQUESTS ids of a run: mixed labels, counts, steps, guidance, and two DDPM requests. */
    private static List<String> ids(String name) {
        String run = name + "-" + UUID.randomUUID().toString().substring(0, 8) + "-";
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < REQUESTS; i++) {
            ids.add(run + i);
        }
        return ids;
    }

    private static void send(TestKafka k, List<String> ids) {
        String[] labels = {"t-shirt/top", "trouser", "bag", "sneaker", "coat", "dress"};
        for (int i = 0; i < ids.size(); i++) {
            ObjectNode r = TestKafka.JSON.createObjectNode().put("requestId", ids.get(i)).put("seed", i)
                    .put("label", labels[i % labels.length]).put("count", 1 + i % 4);
            if (i % 30 == 7) {
                r.put("sampler", "ddpm");
            } else {
                r.put("steps", 5 + (i * 7) % 36);
            }
            if (i % 12 == 5) {
                r.put("guidance", 2.0);
            }
            k.send(ids.get(i), r.toString());
        }
    }

    private static void awaitSomeAnswered(TestKafka k, List<String> ids, int answered) {
        long deadline = System.nanoTime() + ALL_ANSWERED.toNanos();
        while (ids.stream().filter(id -> k.eventsFor(id) > 0).count() < answered && System.nanoTime() < deadline) {
            k.poll();
        }
    }

    /** Waits until every id has an event (or the time is up), then counts; checks every stored image. */
    private static Tally count(TestKafka k, String fault, List<String> ids) throws Exception {
        k.awaitAnswered(ids, System.nanoTime() + ALL_ANSWERED.toNanos());
        k.pollForLateDuplicates();
        TestKafka.Delivery delivery = k.deliveryOf(ids);
        Tally tally = new Tally(fault, ids.size(), delivery);
        for (TestKafka.Event last : delivery.lastEvents()) {
            if ("COMPLETED".equals(last.status())) {
                tally.completed++;
                checkImage(last);
            } else if ("CANCELED".equals(last.status())) {
                tally.canceled++;
            } else {
                tally.failed.merge(last.errorCode(), 1, Integer::sum);
            }
        }
        LOG.infof("faults: %s", tally);
        return tally;
    }

    private static void checkImage(TestKafka.Event event) throws Exception {
        var image = event.body().path("image");
        HttpResponse<byte[]> r = HTTP.send(HttpRequest.newBuilder(URI.create(image.path("url").asText())).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, r.statusCode(), "the stored grid of " + event.key());
        BufferedImage png = ImageIO.read(new ByteArrayInputStream(r.body()));
        assertTrue(png != null && png.getWidth() == image.path("width").asInt()
                && png.getHeight() == image.path("height").asInt(), "the grid of " + event.key() + " is intact");
    }

    /** What one fault cost. */
    static final class Tally {
        final String fault;
        final int sent;
        final int events;
        final int duplicates;
        final int lost;
        int completed;
        int canceled;
        final Map<String, Integer> failed = new TreeMap<>();

        Tally(String fault, int sent, TestKafka.Delivery delivery) {
            this.fault = fault;
            this.sent = sent;
            this.events = delivery.events();
            this.duplicates = delivery.duplicates();
            this.lost = delivery.lost();
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%s: sent %d, events %d, completed %d, canceled %d, failed %s, duplicates"
                    + " %d, lost %d", fault, sent, events, completed, canceled, failed, duplicates, lost);
        }
    }
}
