package org.diffusionworker.deploy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.io.IOException;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.diffusionworker.testing.DeployFiles;
import org.diffusionworker.testing.DeployTestInfrastructure;
import org.diffusionworker.testing.WorkerTestConfig;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The deployment files against a running worker (embedded Kafka broker and S3 server, the random-weight test model):
 * every metric the Grafana dashboard, the alert rules and the Kubernetes autoscaling queries select exists in
 * /q/metrics once requests have been answered; the probes' paths answer; and the client examples of
 * docs/producing.md (Python with kafka-python and confluent-kafka, Node with kafkajs, Java) send a request and read
 * its COMPLETED event. An example whose runtime or library is not installed is skipped, and says so.
 */
@QuarkusTest
@WithTestResource(value = DeployTestInfrastructure.class, scope = TestResourceScope.RESTRICTED_TO_CLASS)
@Tag("quarkus")
class DeployedWorkerTest {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(120);
    private static final Path EXAMPLES = DeployFiles.ROOT.resolve("docs/examples");

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    @TestHTTPResource("/")
    URL root;

    @TestHTTPResource("/q/metrics")
    URL metrics;

    @Test
    void everyMetricTheDashboardAlertsAndAutoscalersUseIsExposed() throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        String completed = "deploy-ok-" + run;
        String failed = "deploy-unknown-" + run;
        String deadLetter = "deploy-undecodable-" + run;
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        try (KafkaConsumer<String, String> events = eventReader();
             KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p)) {
            // One completed request, one failed (unknown label), one undecodable record (a dead letter): every
            // outcome's series and the dead-letter producer exist afterwards.
            send(producer, completed, "{\"requestId\":\"" + completed + "\",\"label\":\"bag\",\"count\":2,\"steps\":3,"
                    + "\"seed\":1}");
            send(producer, failed, "{\"requestId\":\"" + failed + "\",\"label\":\"unicorn\",\"count\":2}");
            send(producer, deadLetter, "this is not JSON");
            Map<String, JsonNode> answers = awaitEvents(events, Set.of(completed, failed, deadLetter));
            assertEquals("COMPLETED", answers.get(completed).path("status").asText());
            assertEquals("UNKNOWN_LABEL", answers.get(failed).path("error").path("code").asText());
            assertEquals("INVALID_REQUEST", answers.get(deadLetter).path("error").path("code").asText());
        }

        // The per-partition lag gauge is read every 5 s.
        String text = get(metrics.toURI());
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!text.contains("diffusion_kafka_records_lag{") && System.nanoTime() < deadline) {
            Thread.sleep(500);
            text = get(metrics.toURI());
        }
        Set<String> exposed = new TreeSet<>();
        for (String line : text.split("\n")) {
            if (!line.isBlank() && !line.startsWith("#")) {
                exposed.add(line.split("[{ ]", 2)[0]);
            }
        }
        Set<String> exporter = new java.util.HashSet<>(DeployFiles.kafkaExporterMetrics());
        exporter.addAll(DeployFiles.kubeStateMetrics());
        List<String> missing = new ArrayList<>();
        Set<String> checked = new TreeSet<>();
        DeployFiles.allQueries().forEach((where, expr) -> {
            for (String name : DeployFiles.metricNames(expr)) {
                if (exporter.contains(name) || DeployFiles.PROMETHEUS_SYNTHETIC.contains(name)) {
                    continue;
                }
                checked.add(name);
                if (!exposed.contains(name)) {
                    missing.add(where + ": " + name);
                }
            }
        });
        assertTrue(checked.size() >= 15, "the worker's metrics in the dashboard and rules: " + checked);
        assertEquals(List.of(), missing, "metrics used in deploy/ and k8s/ that the worker does not expose;"
                + " it exposes " + exposed);
    }

    @Test
    void theProbesPathsAnswer() throws Exception {
        Map<String, Object> container = DeployFiles.map(DeployFiles.at(
                DeployFiles.yamlFile(DeployFiles.K8S.resolve("base/deployment.yaml")),
                "spec", "template", "spec", "containers", 0));
        for (String probe : List.of("startupProbe", "readinessProbe", "livenessProbe")) {
            String path = DeployFiles.text(container, probe, "httpGet", "path");
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(root.toURI().resolve(path))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), probe + " " + path + ": " + r.body());
            assertTrue(r.body().contains("\"UP\""), probe + " " + path + ": " + r.body());
        }
    }

    // --- the client examples of docs/producing.md --------------------------------------------------------------

    @Test
    void kafkaPythonExampleGetsItsCompletedEvent() throws Exception {
        String python = pythonWith("kafka").orElse(null);
        assumeTrue(python != null, "no python3 with kafka-python (Debian: apt-get install -y python3-kafka):"
                + " docs/examples/python/kafka_python_client.py not run");
        String id = "python-kafka-" + UUID.randomUUID().toString().substring(0, 8);
        assertCompleted(id, runExample(List.of(python, EXAMPLES.resolve("python/kafka_python_client.py").toString(),
                "--bootstrap-servers", bootstrapServers, "--request-id", id, "--label", "sneaker", "--count", "2",
                "--steps", "3", "--timeout", "90"), Map.of()));
    }

    @Test
    void kafkaPythonExampleFollowsARequestAndCancelsIt() throws Exception {
        String python = pythonWith("kafka").orElse(null);
        assumeTrue(python != null, "no python3 with kafka-python (Debian: apt-get install -y python3-kafka):"
                + " docs/examples/python/kafka_python_client.py --cancel-after-started not run");
        String id = "python-cancel-" + UUID.randomUUID().toString().substring(0, 8);
        assertFollowedAndCanceled(id, runExample(List.of(python,
                EXAMPLES.resolve("python/kafka_python_client.py").toString(), "--bootstrap-servers", bootstrapServers,
                "--request-id", id, "--label", "sneaker", "--count", "2", "--steps", LONG_RUN_STEPS, "--follow",
                "--cancel-after-started", "--timeout", "90"), Map.of()));
    }

    @Test
    void confluentKafkaPythonExampleGetsItsCompletedEvent() throws Exception {
        String python = pythonWith("confluent_kafka").orElse(null);
        assumeTrue(python != null, "no python3 with confluent-kafka (Debian: apt-get install -y"
                + " python3-confluent-kafka): docs/examples/python/confluent_kafka_client.py not run");
        String id = "python-confluent-" + UUID.randomUUID().toString().substring(0, 8);
        assertCompleted(id, runExample(List.of(python, EXAMPLES.resolve("python/confluent_kafka_client.py").toString(),
                "--bootstrap-servers", bootstrapServers, "--request-id", id, "--label", "coat", "--count", "2",
                "--steps", "3", "--timeout", "90"), Map.of()));
    }

    @Test
    void kafkajsExampleGetsItsCompletedEvent() throws Exception {
        assumeTrue(DeployFiles.installed("node"), "node is not installed: docs/examples/node/kafkajs-client.js not run");
        Path nodeDir = EXAMPLES.resolve("node");
        DeployFiles.Result resolved = DeployFiles.run(nodeDir, List.of("node", "-e", "require.resolve('kafkajs')"));
        assumeTrue(resolved != null && resolved.exitCode() == 0, "kafkajs is not installed (cd docs/examples/node &&"
                + " npm install, or NODE_PATH): docs/examples/node/kafkajs-client.js not run");
        String id = "node-" + UUID.randomUUID().toString().substring(0, 8);
        assertCompleted(id, runExample(List.of("node", nodeDir.resolve("kafkajs-client.js").toString(),
                "--bootstrap-servers", bootstrapServers, "--request-id", id, "--label", "bag", "--count", "2",
                "--steps", "3", "--timeout", "90"), Map.of("KAFKAJS_NO_PARTITIONER_WARNING", "1")));
    }

    @Test
    void consoleScriptStopsAtTheAnswerAndSaysHowItEnded() throws Exception {
        String python = pythonWith("kafka").orElse(null);
        assumeTrue(python != null, "no python3 with kafka-python (Debian: apt-get install -y python3-kafka): the"
                + " stand-ins for kafka-console-producer/-consumer cannot run; docs/examples/console/send-request.sh"
                + " not run");
        Path shims = DeployFiles.ROOT.resolve("src/test/resources/deploy/console-shims");
        String timeout = "90";
        for (String label : List.of("bag", "unicorn")) {
            String id = "console-" + label + "-" + UUID.randomUUID().toString().substring(0, 8);
            long start = System.nanoTime();
            Run run = runExample(List.of("bash", EXAMPLES.resolve("console/send-request.sh").toString(),
                    bootstrapServers, label, "2"), Map.of("KAFKA_BIN", shims.toString(), "REQUEST_ID", id,
                    "TIMEOUT_S", timeout));
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            String output = "stdout:\n" + run.stdout() + "\nstderr:\n" + run.stderr();
            // COMPLETED exits 0, FAILED (unknown label) exits 3; the answer line is printed either way.
            assertEquals(label.equals("bag") ? 0 : 3, run.exitCode(), label + "\n" + output);
            assertTrue(run.stdout().contains("| " + id + " | {") && run.stdout().contains(
                    label.equals("bag") ? "\"status\":\"COMPLETED\"" : "\"status\":\"FAILED\""), output);
            assertTrue(run.stdout().contains("ce_type:org.diffusionworker.generation."), "headers printed: " + output);
            // The consumer's own timeout (90 s without a record) never came: the script stopped it at the answer.
            assertTrue(took.toSeconds() < Long.parseLong(timeout) - 20, "took " + took + "\n" + output);
        }
    }

    @Test
    void javaExampleGetsItsCompletedEvent() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String id = "java-" + UUID.randomUUID().toString().substring(0, 8);
        // Run as a single source file, with this test's class path (kafka-clients is on it).
        assertCompleted(id, runExample(List.of(java, "-cp", System.getProperty("java.class.path"),
                EXAMPLES.resolve("java/GenerationClient.java").toString(), "--bootstrap-servers", bootstrapServers,
                "--request-id", id, "--label", "dress", "--count", "2", "--steps", "3", "--timeout", "90"), Map.of()));
    }

    @Test
    void javaExampleFollowsARequestAndCancelsIt() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String id = "java-cancel-" + UUID.randomUUID().toString().substring(0, 8);
        assertFollowedAndCanceled(id, runExample(List.of(java, "-cp", System.getProperty("java.class.path"),
                EXAMPLES.resolve("java/GenerationClient.java").toString(), "--bootstrap-servers", bootstrapServers,
                "--request-id", id, "--label", "dress", "--count", "2", "--steps", LONG_RUN_STEPS, "--follow", "true",
                "--cancel-after-started", "true", "--timeout", "90"), Map.of()));
    }

    // --- helpers --------------------------------------------------------------------------------------------------

    private static Optional<String> pythonWith(String module) {
        for (String python : List.of("/usr/bin/python3", "python3")) {
            DeployFiles.Result r = DeployFiles.run(DeployFiles.ROOT, List.of(python, "-c", "import " + module));
            if (r != null && r.exitCode() == 0) {
                return Optional.of(python);
            }
        }
        return Optional.empty();
    }

    private record Run(int exitCode, String stdout, String stderr) {}

    private static Run runExample(List<String> command, Map<String, String> environment) throws Exception {
        Path out = Files.createTempFile("example-", ".out");
        Path err = Files.createTempFile("example-", ".err");
        try {
            ProcessBuilder pb = new ProcessBuilder(command).directory(DeployFiles.ROOT.toFile())
                    .redirectOutput(out.toFile()).redirectError(err.toFile());
            pb.environment().putAll(environment);
            Process process = pb.start();
            if (!process.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("timed out: " + command + "\n" + Files.readString(err));
            }
            return new Run(process.exitValue(), Files.readString(out), Files.readString(err));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    /** DDIM steps that take seconds on the test model, so a cancel sent on STARTED meets the request running. */
    private static final String LONG_RUN_STEPS = "500";

    private static void assertFollowedAndCanceled(String id, Run run) throws Exception {
        assertEquals(4, run.exitCode(), "exit code 4 (CANCELED)\nstdout:\n" + run.stdout() + "\nstderr:\n"
                + run.stderr());
        assertTrue(run.stderr().contains("generation.started"), "STARTED printed: " + run.stderr());
        assertTrue(run.stderr().contains("sent a cancel of " + id), run.stderr());
        JsonNode event = JSON.readTree(run.stdout());
        assertEquals("CANCELED", event.path("status").asText(), run.stdout());
        assertEquals(id, event.path("requestId").asText());
        assertEquals("running", event.path("canceledWhile").asText(), run.stdout());
    }

    private static void assertCompleted(String id, Run run) throws Exception {
        assertEquals(0, run.exitCode(), "exit code\nstdout:\n" + run.stdout() + "\nstderr:\n" + run.stderr());
        JsonNode event = JSON.readTree(run.stdout());
        assertEquals("COMPLETED", event.path("status").asText(), run.stdout());
        assertEquals(id, event.path("requestId").asText());
        HttpResponse<byte[]> png = HTTP.send(HttpRequest.newBuilder(URI.create(event.path("image").path("url").asText()))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, png.statusCode(), "the event's URL opens");
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, Arrays.copyOf(png.body(), 4), "a PNG");
    }

    private KafkaConsumer<String, String> eventReader() {
        Properties c = new Properties();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        KafkaConsumer<String, String> consumer = new KafkaConsumer<>(c);
        List<TopicPartition> partitions = consumer.partitionsFor(WorkerTestConfig.EVENTS, WAIT).stream()
                .map(i -> new TopicPartition(i.topic(), i.partition())).toList();
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        return consumer;
    }

    private static void send(KafkaProducer<String, byte[]> producer, String key, String value) throws Exception {
        producer.send(new ProducerRecord<>(WorkerTestConfig.REQUESTS, key,
                value.getBytes(StandardCharsets.UTF_8))).get(30, TimeUnit.SECONDS);
    }

    private static Map<String, JsonNode> awaitEvents(KafkaConsumer<String, String> events, Set<String> ids)
            throws IOException {
        Map<String, JsonNode> found = new HashMap<>();
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!found.keySet().containsAll(ids) && System.nanoTime() < deadline) {
            for (ConsumerRecord<String, String> r : events.poll(Duration.ofMillis(500))) {
                if (ids.contains(r.key())) {
                    found.put(r.key(), JSON.readTree(r.value()));
                }
            }
        }
        assertEquals(ids, found.keySet(), "events within " + WAIT);
        return found;
    }

    private static String get(URI uri) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }
}
