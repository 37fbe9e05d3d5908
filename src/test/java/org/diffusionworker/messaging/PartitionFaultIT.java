package org.diffusionworker.messaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.diffusionworker.embedded.EmbeddedKafkaBroker;
import org.diffusionworker.embedded.EmbeddedS3Server;
import org.diffusionworker.testing.NetworkNamespace;
import org.diffusionworker.testing.TestKafka;
import org.diffusionworker.testing.WorkerProcess;
import org.diffusionworker.testing.WorkerTestConfig;
import org.jboss.logging.Logger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The network partition: two workers in one group on a requests topic of four partitions, one of them in a network
 * namespace whose only link is taken down mid-stream for longer than the session timeout (and the transaction
 * timeout), then brought back, with cancels sent before and during the cut. The other worker takes over the cut-off
 * worker's partitions and answers their requests; when the link is back, the cut-off worker's answers must stay
 * invisible to a {@code read_committed} consumer. Counted like the other faults: sent, answered, lost (0), terminal
 * events beyond one per request (0), requests answered both COMPLETED and CANCELED (0).
 *
 * <p>Needs root and iproute2 ({@code ip netns}), as CI runs; skipped, saying why, anywhere else. Part of
 * {@code ./mvnw verify}, tagged {@code faults}; docs/reliability.md has the figures.
 */
@Tag("faults")
class PartitionFaultIT {

    private static final Logger LOG = Logger.getLogger(PartitionFaultIT.class);
    private static final int REQUESTS = 60;
    private static final int PARTITIONS = 4;
    /** Longer than the session timeout (8 s, WorkerProcess) and the answers' transaction timeout (15 s). */
    private static final Duration CUT = Duration.ofSeconds(25);
    private static final Duration ALL_ANSWERED = Duration.ofMinutes(6);
    /** How long the events are watched after the link is back, for late answers of the cut-off worker. */
    private static final Duration AFTER_RESTORE = Duration.ofSeconds(45);

    @TempDir
    static Path directory;

    private static NetworkNamespace namespace;
    private static EmbeddedKafkaBroker kafka;
    private static EmbeddedS3Server s3;
    private static TestKafka clients;

    @BeforeAll
    static void startInfrastructure() throws Exception {
        Optional<String> unavailable = NetworkNamespace.unavailableBecause();
        Assumptions.assumeTrue(unavailable.isEmpty(), () -> "the network partition fault is NOT RUN: "
                + unavailable.orElse("") + " (CI runs it as root)");
        namespace = NetworkNamespace.create();
        // Broker and store listen on the machine's end of the pair: reachable from the namespace while its link is up,
        // and from here (a local address) always.
        kafka = EmbeddedKafkaBroker.builder(directory.resolve("kafka")).host(namespace.hostAddress()).build().start();
        kafka.createTopics(PARTITIONS, WorkerTestConfig.REQUESTS);
        kafka.createTopics(WorkerTestConfig.EVENTS, WorkerTestConfig.DEAD_LETTERS, WorkerTestConfig.CONTROL);
        s3 = EmbeddedS3Server.builder(directory.resolve("s3")).host(namespace.hostAddress()).build().start();
        clients = new TestKafka(kafka.bootstrapServers());
        LOG.infof("partition fault: namespace %s, broker %s, store %s", namespace, kafka.bootstrapServers(),
                s3.endpoint());
    }

    @AfterAll
    static void stopInfrastructure() {
        if (clients != null) {
            clients.close();
        }
        if (s3 != null) {
            s3.close();
        }
        if (kafka != null) {
            kafka.close();
        }
        if (namespace != null) {
            namespace.close();
        }
    }

    @Test
    void aWorkerCutOffPastItsSessionTimeoutMakesNoSecondAnswerVisible() throws Exception {
        WorkerProcess cutOff = WorkerProcess.start(directory, kafka, s3, "cut-off", Map.of("quarkus.http.host",
                "0.0.0.0"), Map.of(), namespace.launcher(), namespace.namespaceAddress());
        WorkerProcess connected = WorkerProcess.start(directory, kafka, s3, "connected", Map.of());
        try {
            cutOff.awaitReady();
            connected.awaitReady();
            List<String> ids = ids();
            List<String> canceled = new ArrayList<>();
            for (int i = 2; i < ids.size(); i += 5) {
                canceled.add(ids.get(i));
            }
            send(ids);
            cutOff.awaitBatchInProgress();
            List<String> beforeCut = canceled.subList(0, canceled.size() / 2);
            beforeCut.forEach(clients::cancel);
            long answeredAtCut = ids.stream().filter(id -> clients.eventsFor(id) > 0).count();
            namespace.cut();
            LOG.infof("partition fault: link of %s cut with %d of %d requests answered", namespace, answeredAtCut,
                    REQUESTS);
            long cutAt = System.nanoTime();
            canceled.subList(canceled.size() / 2, canceled.size()).forEach(clients::cancel); // during the cut
            while (System.nanoTime() - cutAt < CUT.toNanos()) {
                clients.poll();
            }
            namespace.restore();
            LOG.infof("partition fault: link restored after %d s", TimeUnit.NANOSECONDS.toSeconds(System.nanoTime()
                    - cutAt));
            clients.awaitAnswered(ids, System.nanoTime() + ALL_ANSWERED.toNanos());
            long restoredAt = System.nanoTime();
            while (System.nanoTime() - restoredAt < AFTER_RESTORE.toNanos()) {
                clients.poll(); // late answers of the cut-off worker, if any got through
            }

            FaultsCountedIT.Tally tally = new FaultsCountedIT.Tally("network partition of one worker of two, "
                    + CUT.toSeconds() + " s", ids.size(), clients.deliveryOf(ids));
            int contradictions = 0;
            int completed = 0;
            int canceledAnswers = 0;
            for (String id : ids) {
                Set<String> outcomes = new TreeSet<>();
                clients.eventsOf(id).stream().filter(TestKafka.Event::terminal).forEach(e -> outcomes.add(e.status()));
                contradictions += outcomes.size() > 1 ? 1 : 0;
                completed += outcomes.contains("COMPLETED") ? 1 : 0;
                canceledAnswers += outcomes.contains("CANCELED") ? 1 : 0;
                if (!canceled.contains(id)) {
                    assertTrue(outcomes.isEmpty() || outcomes.equals(Set.of("COMPLETED")), id + ": " + outcomes);
                }
            }
            tally.completed = completed;
            tally.canceled = canceledAnswers;
            boolean cutOffReady = awaitReady(cutOff, Duration.ofSeconds(30));
            LOG.infof("faults: %s; %d cancels sent, %d contradictions; the cut-off worker %s", tally,
                    canceled.size(), contradictions,
                    cutOffReady ? "is ready again without a restart" : cutOff.process().isAlive()
                            ? "is alive but not ready (liveness tells whether it needs a restart)" : "exited");
            assertEquals(0, tally.lost, tally.toString());
            assertEquals(0, tally.duplicates, "terminal events beyond one per request, read committed: " + tally);
            assertEquals(0, contradictions, "no request both COMPLETED and CANCELED");
            assertTrue(canceledAnswers >= 1, "some cancels took effect");
            assertTrue(cutOff.output().contains("Request partitions revoked")
                    || cutOff.output().contains("no longer the group member"),
                    "the cut-off worker noticed it lost its partitions:\n" + tail(cutOff.output()));
        } finally {
            for (WorkerProcess w : List.of(cutOff, connected)) {
                w.process().destroy();
                if (!w.process().waitFor(120, TimeUnit.SECONDS)) {
                    w.process().destroyForcibly();
                }
            }
        }
    }

    private static boolean awaitReady(WorkerProcess worker, Duration within) {
        long deadline = System.nanoTime() + within.toNanos();
        while (System.nanoTime() < deadline) {
            if (worker.ready()) {
                return true;
            }
            clients.poll();
        }
        return false;
    }

    private static String tail(String output) {
        return output.length() > 4000 ? output.substring(output.length() - 4000) : output;
    }

    private static List<String> ids() {
        String run = "partition-" + UUID.randomUUID().toString().substring(0, 8) + "-";
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < REQUESTS; i++) {
            ids.add(run + i);
        }
        return ids;
    }

    /** Requests of 4 images, steps 10 to 40, spread over the four partitions by their keys. */
    private static void send(List<String> ids) {
        String[] labels = {"t-shirt/top", "trouser", "bag", "sneaker", "coat", "dress"};
        for (int i = 0; i < ids.size(); i++) {
            ObjectNode r = TestKafka.JSON.createObjectNode().put("requestId", ids.get(i)).put("seed", i)
                    .put("label", labels[i % labels.length]).put("count", 4).put("steps", 10 + (i * 7) % 31);
            clients.send(ids.get(i), r.toString());
        }
    }
}
