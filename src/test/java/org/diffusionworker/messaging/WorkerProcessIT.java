package org.diffusionworker.messaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.diffusionworker.embedded.EmbeddedKafkaBroker;
import org.diffusionworker.embedded.EmbeddedS3Server;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged application as a real process (target/quarkus-app/quarkus-run.jar), against the embedded Kafka broker
 * and S3 server: killed in the middle of a batch it loses nothing, stopped with SIGTERM it finishes the batch in hand
 * first, and commands other than {@code serve} never reach Kafka or open a port.
 */
class WorkerProcessIT {

    private static final Duration START = Duration.ofMinutes(3);
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    static Path directory;

    static EmbeddedKafkaBroker kafka;
    static EmbeddedS3Server s3;
    static TestKafka clients;

    @BeforeAll
    static void startInfrastructure() {
        kafka = EmbeddedKafkaBroker.builder(directory.resolve("kafka")).build().start();
        kafka.createTopics(WorkerTestConfig.REQUESTS, WorkerTestConfig.EVENTS, WorkerTestConfig.DEAD_LETTERS);
        s3 = EmbeddedS3Server.builder(directory.resolve("s3")).build().start();
        clients = new TestKafka(kafka.bootstrapServers());
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
    }

    /** A request long enough to be caught in the middle: DDIM with many steps and guidance (a doubled batch). */
    private static String longRequest(String id) {
        return WorkerEndToEndContract.request(id).put("label", "ankle-boot").put("count", 2).put("steps", 150)
                .put("guidance", 2.0).toString();
    }

    @Test
    void workerKilledInTheMiddleOfABatchLosesNothingAndSigtermFinishesTheBatchInHand() throws Exception {
        String killed = "killed-" + UUID.randomUUID();
        Worker first = Worker.start("first");
        first.awaitReady();
        clients.send(killed, longRequest(killed));
        first.awaitBatchInProgress();

        first.process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);

        clients.poll();
        assertEquals(0, clients.eventsFor(killed), "nothing was published for the batch that was killed");

        Worker second = Worker.start("second");
        second.awaitReady();
        TestKafka.Event recovered = clients.await(killed);
        assertEquals("COMPLETED", recovered.status(), recovered.body().toString());
        assertFalse(recovered.body().path("deduplicated").asBoolean(), "sampled after the restart");

        String graceful = "sigterm-" + UUID.randomUUID();
        clients.send(graceful, longRequest(graceful));
        second.awaitBatchInProgress();
        long stop = System.nanoTime();
        second.process.destroy();
        assertTrue(second.process.waitFor(90, TimeUnit.SECONDS), "exits within the grace period");
        // 143 = 128 + SIGTERM: the JVM's exit status after a signal-initiated (clean) shutdown.
        assertTrue(List.of(0, 143).contains(second.process.exitValue()), second.output());
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
            List<String> command = java(Map.of(
                    "kafka.bootstrap.servers", "127.0.0.1:" + fakeKafka.getLocalPort(),
                    // Held by this test: an HTTP server trying to bind it would fail the command.
                    "quarkus.http.port", Integer.toString(takenHttpPort.getLocalPort())));
            command.addAll(List.of("sample", "--model", model(), "--count", "2", "--steps", "2", "--out",
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

    private static String model() {
        return Path.of("src/test/resources/models/random-gray28").toAbsolutePath().toString();
    }

    private static List<String> java(Map<String, String> properties) {
        String jar = System.getProperty("it.application.jar", "target/quarkus-app/quarkus-run.jar");
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx1g");
        command.add("-Dai.djl.offline=true");
        properties.forEach((k, v) -> command.add("-D" + k + "=" + v));
        command.addAll(List.of("-jar", jar));
        return command;
    }

    /** One worker process. */
    private record Worker(Process process, int httpPort, Path log) {

        static Worker start(String name) throws IOException {
            int port;
            try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
                port = s.getLocalPort();
            }
            List<String> command = java(Map.of(
                    "kafka.bootstrap.servers", kafka.bootstrapServers(),
                    "diffusionworker.storage.endpoint", s3.endpoint().toString(),
                    "diffusionworker.storage.bucket", "process-test",
                    "diffusionworker.model.path", model(),
                    "diffusionworker.worker.shutdown-grace", "80s",
                    "quarkus.http.port", Integer.toString(port),
                    "mp.messaging.incoming.generation-requests.auto.commit.interval.ms", "500",
                    // The killed worker never leaves its group: its partitions move after this timeout (45 s default).
                    "mp.messaging.incoming.generation-requests.session.timeout.ms", "8000"));
            command.add("serve");
            Path log = directory.resolve(name + ".log");
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(log.toFile());
            // Credentials through the environment, as in production.
            builder.environment().put("DIFFUSIONWORKER_STORAGE_ACCESS_KEY", s3.credentials().accessKey());
            builder.environment().put("DIFFUSIONWORKER_STORAGE_SECRET_KEY", s3.credentials().secretKey());
            return new Worker(builder.start(), port, log);
        }

        String output() {
            try {
                return Files.readString(log, StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "(no output: " + e.getMessage() + ")";
            }
        }

        void awaitReady() throws Exception {
            awaitHttp("/q/health/ready", body -> true);
        }

        /** Until the worker reports images in a running batch. */
        void awaitBatchInProgress() throws Exception {
            Pattern gauge = Pattern.compile("(?m)^diffusion_inference_images(\\{[^}]*\\})? ([0-9.]+)$");
            awaitHttp("/q/metrics", body -> {
                Matcher m = gauge.matcher(body);
                return m.find() && Double.parseDouble(m.group(2)) > 0;
            });
        }

        private void awaitHttp(String path, java.util.function.Predicate<String> done) throws Exception {
            long deadline = System.nanoTime() + START.toNanos();
            HttpRequest get = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path))
                    .timeout(Duration.ofSeconds(5)).build();
            while (System.nanoTime() < deadline) {
                try {
                    HttpResponse<String> r = HTTP.send(get, HttpResponse.BodyHandlers.ofString());
                    if (r.statusCode() == 200 && done.test(r.body())) {
                        return;
                    }
                } catch (IOException notYet) {
                    // Not listening yet.
                }
                // Waiting on the process's exit doubles as the pause between probes, and notices a crash at once.
                try {
                    process.onExit().get(100, TimeUnit.MILLISECONDS);
                    throw new AssertionError("the worker exited with " + process.exitValue() + ":\n" + output());
                } catch (TimeoutException stillRunning) {
                    // Probe again.
                } catch (ExecutionException e) {
                    throw new IllegalStateException(e);
                }
            }
            throw new AssertionError("GET " + path + " did not succeed within " + START + ":\n" + output());
        }
    }
}
