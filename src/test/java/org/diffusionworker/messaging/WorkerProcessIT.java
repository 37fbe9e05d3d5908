package org.diffusionworker.messaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.diffusionworker.testing.ProcessTestInfrastructure;
import org.diffusionworker.testing.TestKafka;
import org.diffusionworker.testing.WorkerProcess;
import org.diffusionworker.testing.WorkerTestConfig;
import org.junit.jupiter.api.Test;

/**
 * The packaged application as a real process (target/quarkus-app/quarkus-run.jar), against the embedded Kafka broker
 * and S3 server: killed in the middle of a batch it loses nothing, stopped with SIGTERM it finishes the batch in hand
 * first, and commands other than {@code serve} never reach Kafka or open a port.
 */
class WorkerProcessIT extends ProcessTestInfrastructure {

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    /** A request long enough to be caught in the middle: DDIM with many steps and guidance (a doubled batch). */
    private static String longRequest(String id) {
        return WorkerEndToEndContract.request(id).put("label", "ankle-boot").put("count", 2).put("steps", 150)
                .put("guidance", 2.0).toString();
    }

    @Test
    void workerKilledInTheMiddleOfABatchLosesNothingAndSigtermFinishesTheBatchInHand() throws Exception {
        String killed = "killed-" + UUID.randomUUID();
        WorkerProcess first = WorkerProcess.start(directory, kafka, s3, "first", Map.of());
        first.awaitReady();
        clients.send(killed, longRequest(killed));
        first.awaitBatchInProgress();

        first.process().destroyForcibly().waitFor(30, TimeUnit.SECONDS);

        clients.poll();
        assertEquals(0, clients.eventsFor(killed), "nothing was published for the batch that was killed");

        WorkerProcess second = WorkerProcess.start(directory, kafka, s3, "second", Map.of());
        second.awaitReady();
        TestKafka.Event recovered = clients.await(killed);
        assertEquals("COMPLETED", recovered.status(), recovered.body().toString());
        assertFalse(recovered.body().path("deduplicated").asBoolean(), "sampled after the restart");

        String graceful = "sigterm-" + UUID.randomUUID();
        clients.send(graceful, longRequest(graceful));
        second.awaitBatchInProgress();
        long stop = System.nanoTime();
        second.process().destroy();
        assertTrue(second.process().waitFor(90, TimeUnit.SECONDS), "exits within the grace period");
        // 143 = 128 + SIGTERM: the JVM's exit status after a signal-initiated (clean) shutdown.
        assertTrue(List.of(0, 143).contains(second.process().exitValue()), second.output());
        clients.poll();
        TestKafka.Event finished = clients.await(graceful);
        assertEquals("COMPLETED", finished.status(), "the batch in hand was finished and published before exit");
        assertTrue(second.output().contains("all requests in hand answered"), second.output());
        assertTrue(System.nanoTime() - stop < Duration.ofSeconds(90).toNanos());
        assertCommittedToTheEnd();
    }

    @Test
    void sampleCommandNeverReachesKafkaNorOpensAPort() throws Exception {
        try (ServerSocket fakeKafka = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
             ServerSocket takenHttpPort = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Path png = directory.resolve("sample.png");
            List<String> command = WorkerProcess.java(Map.of(
                    "kafka.bootstrap.servers", "127.0.0.1:" + fakeKafka.getLocalPort(),
                    // Held by this test: an HTTP server trying to bind it would fail the command.
                    "quarkus.http.port", Integer.toString(takenHttpPort.getLocalPort())));
            command.addAll(List.of("sample", "--model", WorkerProcess.model(), "--count", "2", "--steps", "2", "--out",
                    png.toString(), "-q"));
            Process sample = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(directory.resolve("sample.log").toFile()).start();
            fakeKafka.setSoTimeout(100);
            boolean contacted = false;
            while (!sample.waitFor(10, TimeUnit.MILLISECONDS)) {
                try (Socket ignored = fakeKafka.accept()) {
                    contacted = true;
                } catch (SocketTimeoutException e) {
                    // Nobody knocked in the last 100 ms: what we hope for.
                }
            }
            String log = Files.readString(directory.resolve("sample.log"));
            assertEquals(0, sample.exitValue(), log);
            assertTrue(Files.size(png) > 0);
            assertFalse(contacted, "sample opened a connection to the Kafka bootstrap address");
            assertFalse(log.contains("Kafka"), log);
        }
    }

    private static void assertCommittedToTheEnd() throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
            TopicPartition p = new TopicPartition(WorkerTestConfig.REQUESTS, 0);
            long end = admin.listOffsets(Map.of(p, OffsetSpec.latest())).partitionResult(p).get().offset();
            OffsetAndMetadata committed = admin.listConsumerGroupOffsets("diffusion-worker")
                    .partitionsToOffsetAndMetadata().get().get(p);
            assertEquals(end, committed.offset(), "the stopping worker committed every answered request");
        }
    }

}
