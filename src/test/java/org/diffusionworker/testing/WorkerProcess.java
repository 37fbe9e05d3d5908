package org.diffusionworker.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.diffusionworker.embedded.EmbeddedKafkaBroker;
import org.diffusionworker.embedded.EmbeddedS3Server;

/**
 * The packaged application ({@code serve}) as a child process against the embedded Kafka broker and S3 server,
 * probed over HTTP at {@code httpHost} (its loopback address, or its address in a network namespace).
 */
public record WorkerProcess(Process process, String httpHost, int httpPort, Path log) {

    static final Duration START = Duration.ofMinutes(3);
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    /** Starts a worker; {@code extra} system properties override the defaults below. */
    public static WorkerProcess start(Path directory, EmbeddedKafkaBroker kafka, EmbeddedS3Server s3, String name,
            Map<String, String> extra) throws IOException {
        return start(directory, kafka, s3, name, extra, Map.of());
    }

    /** Starts a worker with extra system properties and extra environment variables (secrets go there). */
    public static WorkerProcess start(Path directory, EmbeddedKafkaBroker kafka, EmbeddedS3Server s3, String name,
            Map<String, String> extra, Map<String, String> environment) throws IOException {
        return start(directory, kafka, s3, name, extra, environment, List.of(), "127.0.0.1");
    }

    /**
     * Starts a worker under {@code launcher} (e.g. {@code ip netns exec <name>}, which runs it in a network namespace),
     * its HTTP endpoints reached at {@code httpHost}.
     */
    public static WorkerProcess start(Path directory, EmbeddedKafkaBroker kafka, EmbeddedS3Server s3, String name,
            Map<String, String> extra, Map<String, String> environment, List<String> launcher, String httpHost)
            throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Map<String, String> properties = new HashMap<>(Map.of(
                "kafka.bootstrap.servers", kafka.bootstrapServers(),
                "diffusionworker.storage.endpoint", s3.endpoint().toString(),
                "diffusionworker.storage.bucket", "process-test",
                "diffusionworker.model.path", model(),
                "diffusionworker.worker.shutdown-grace", "80s",
                "quarkus.http.port", Integer.toString(port),
                "mp.messaging.incoming.generation-requests.auto.commit.interval.ms", "500",
                // The killed worker never leaves its group: its partitions move after this timeout (45 s default).
                "mp.messaging.incoming.generation-requests.session.timeout.ms", "8000"));
        properties.putAll(extra);
        List<String> command = new ArrayList<>(launcher);
        command.addAll(java(properties));
        command.add("serve");
        Path log = directory.resolve(name + ".log");
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        // Credentials through the environment, as in production.
        builder.environment().put("DIFFUSIONWORKER_STORAGE_ACCESS_KEY", s3.credentials().accessKey());
        builder.environment().put("DIFFUSIONWORKER_STORAGE_SECRET_KEY", s3.credentials().secretKey());
        builder.environment().putAll(environment);
        return new WorkerProcess(builder.start(), httpHost, port, log);
    }

    public static String model() {
        return Path.of("src/test/resources/models/random-gray28").toAbsolutePath().toString();
    }

    public static List<String> java(Map<String, String> properties) {
        String jar = System.getProperty("it.application.jar", "target/quarkus-app/quarkus-run.jar");
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx1g");
        command.add("-Dai.djl.offline=true");
        properties.forEach((k, v) -> command.add("-D" + k + "=" + v));
        command.addAll(List.of("-jar", jar));
        return command;
    }

    public String output() {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(no output: " + e.getMessage() + ")";
        }
    }

    public void awaitReady() throws Exception {
        awaitHttp("/q/health/ready", body -> true);
    }

    /** Until the worker is up and warm (live), whether or not it has partitions assigned. */
    public void awaitLive() throws Exception {
        awaitHttp("/q/health/live", body -> true);
    }

    /** Until the worker reports images in a running batch. */
    public void awaitBatchInProgress() throws Exception {
        Pattern gauge = Pattern.compile("(?m)^diffusion_inference_images(\\{[^}]*\\})? ([0-9.]+)$");
        awaitHttp("/q/metrics", body -> {
            Matcher m = gauge.matcher(body);
            return m.find() && Double.parseDouble(m.group(2)) > 0;
        });
    }

    private void awaitHttp(String path, java.util.function.Predicate<String> done) throws Exception {
        long deadline = System.nanoTime() + START.toNanos();
        HttpRequest get = HttpRequest.newBuilder(URI.create("http://" + httpHost + ":" + httpPort + path))
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

    /** Whether readiness answers 200 now. */
    public boolean ready() {
        HttpRequest get = HttpRequest.newBuilder(URI.create("http://" + httpHost + ":" + httpPort + "/q/health/ready"))
                .timeout(Duration.ofSeconds(5)).build();
        try {
            return HTTP.send(get, HttpResponse.BodyHandlers.ofString()).statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
