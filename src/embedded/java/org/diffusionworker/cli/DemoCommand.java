package org.diffusionworker.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quarkus.runtime.Quarkus;
import jakarta.enterprise.context.Dependent;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.diffusionworker.client.Downloads;
import org.diffusionworker.client.Durations;
import org.diffusionworker.client.KafkaClients;
import org.diffusionworker.model.ModelCards;
import org.diffusionworker.model.ModelDirectory;
import org.diffusionworker.model.ModelSpec;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code demo}: the whole service on one machine. Before the application starts, {@link EmbeddedLocalInfrastructure}
 * has started a Kafka broker and an S3 store on loopback; the worker came up against them; this command sends a demo
 * set of requests through Kafka as any producer would, waits for their events, downloads the grids to {@code --out},
 * prints each URL and a summary, then keeps serving until Ctrl-C (or exits with {@code --exit}).
 */
@Dependent
@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Local demo: start a Kafka broker (KRaft) and an S3 store (S3Proxy) on 127.0.0.1 with data under"
                + " --data, run the worker against them, send a demo set of requests, wait for the events, write the"
                + " grids to --out, print the URLs and a summary, then keep serving until Ctrl-C (or --exit).",
                "Only in builds with the embedded profile (the default); not in -Dproduction builds."})
public class DemoCommand implements OptionalSubcommand, Callable<Integer> {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec
    CommandSpec spec;

    @Option(names = "--data", paramLabel = "DIR", description = "Folder for the broker's and store's data. Default: data/local.")
    Path data;

    @Option(names = "--model", paramLabel = "DIR",
            description = "Model directory. Default: models/fashion-mnist (the random test model while there is none).")
    Path model;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "out", description = "Where the grids go. Default: ${DEFAULT-VALUE}.")
    Path out;

    @Option(names = "--exit", description = "Exit after the demo instead of serving until Ctrl-C.")
    boolean exit;

    @Option(names = "--timeout", defaultValue = "5m", description = "How long to wait for all events. Default: ${DEFAULT-VALUE}.")
    String timeout;

    @ConfigProperty(name = "diffusionworker.worker.enabled")
    boolean enabled;

    @ConfigProperty(name = "quarkus.http.port")
    int httpPort;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    @ConfigProperty(name = "diffusionworker.kafka.requests-topic")
    String requestsTopic;

    @ConfigProperty(name = "diffusionworker.kafka.events-topic")
    String eventsTopic;

    @ConfigProperty(name = "diffusionworker.model.path")
    Path modelPath;

    /** One demo request and, once it came, its event. */
    private static final class Entry {
        final String name;
        final String id;
        final ObjectNode request;
        JsonNode event;
        double seconds;

        Entry(String name, String id, ObjectNode request) {
            this.name = name;
            this.id = id;
            this.request = request;
        }
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        PrintWriter stdout = spec.commandLine().getOut();
        if (!enabled) {
            throw new IllegalArgumentException("the demo starts its infrastructure before the application: run it as"
                    + " `java -jar target/quarkus-app/quarkus-run.jar demo`");
        }
        Duration wait = Durations.parse(timeout);
        progress(err, "worker: model %s, health at http://127.0.0.1:%d/q/health/ready", modelPath, httpPort);
        reportReadiness(err);

        ModelSpec card = ModelCards.read(ModelDirectory.cardFile(modelPath));
        List<Entry> entries = demoRequests(card.labels(), "demo-" + UUID.randomUUID().toString().substring(0, 8));
        long start = System.nanoTime();
        try (KafkaConsumer<String, String> events = KafkaClients.consumer(bootstrapServers);
             KafkaProducer<String, String> producer = KafkaClients.producer(bootstrapServers)) {
            List<TopicPartition> partitions = events.partitionsFor(eventsTopic, wait).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            events.assign(partitions);
            events.seekToEnd(partitions);
            partitions.forEach(events::position);
            for (Entry e : entries) {
                producer.send(new ProducerRecord<>(requestsTopic, e.id, e.request.toString()));
            }
            producer.flush();
            progress(err, "sent %d requests to '%s' (%d labels with DDIM, 1 mixed context, 1 guided, 1 DDPM, 1 invalid);"
                    + " waiting for their events on '%s' ...", entries.size(), requestsTopic, card.labels().size(),
                    eventsTopic);
            collect(events, entries, wait, start, err);
        }
        summary(stdout, entries);
        if (exit) {
            return 0;
        }
        progress(err, "serving: send more with `java -jar target/quarkus-app/quarkus-run.jar submit"
                + " --bootstrap-servers %s --label %s --download out/mine.png`; Ctrl-C stops everything",
                bootstrapServers, card.labels().get(0));
        Quarkus.waitForExit();
        return 0;
    }

    private List<Entry> demoRequests(List<String> labels, String run) {
        List<Entry> entries = new ArrayList<>();
        long seed = 2024;
        for (String label : labels) {
            String name = "ddim-" + label.replaceAll("[^A-Za-z0-9._-]", "-");
            entries.add(entry(name, run, base(seed++).put("label", label).put("count", 4).put("steps", 20)));
        }
        String a = labels.get(Math.min(7, labels.size() - 1));
        String b = labels.get(Math.min(8, labels.size() - 1));
        ObjectNode mixed = base(seed++).put("count", 4).put("steps", 20);
        mixed.putObject("context").put(a, 0.6).put(b, 0.4);
        entries.add(entry("mixed-context", run, mixed));
        entries.add(entry("guided-" + labels.get(0).replaceAll("[^A-Za-z0-9._-]", "-"), run,
                base(seed++).put("label", labels.get(0)).put("count", 4).put("steps", 20).put("guidance", 3.0)));
        // DDPM takes all T steps: one image, sent last so that the quick batches are not queued behind it.
        entries.add(entry("ddpm-" + a.replaceAll("[^A-Za-z0-9._-]", "-"), run,
                base(seed++).put("label", a).put("count", 1).put("sampler", "ddpm").put("trajectory", true)));
        entries.add(entry("invalid-label", run, base(seed).put("label", "unicorn").put("count", 4)));
        return entries;
    }

    private static ObjectNode base(long seed) {
        return JSON.createObjectNode().put("schemaVersion", 1).put("seed", seed);
    }

    private static Entry entry(String name, String run, ObjectNode request) {
        String id = run + "-" + name;
        request.put("requestId", id);
        request.putObject("attributes").put("demo", name);
        return new Entry(name, id, request);
    }

    private void collect(KafkaConsumer<String, String> events, List<Entry> entries, Duration wait, long start,
            PrintWriter err) throws IOException, InterruptedException {
        Map<String, Entry> byId = new LinkedHashMap<>();
        entries.forEach(e -> byId.put(e.id, e));
        int done = 0;
        long deadline = System.nanoTime() + wait.toNanos();
        while (done < entries.size() && System.nanoTime() < deadline) {
            for (ConsumerRecord<String, String> record : events.poll(Duration.ofMillis(500))) {
                Entry e = byId.get(record.key());
                if (e == null || e.event != null) {
                    continue;
                }
                e.event = JSON.readTree(record.value());
                e.seconds = (System.nanoTime() - start) / 1e9;
                done++;
                String line;
                if ("COMPLETED".equals(e.event.path("status").asText())) {
                    Path png = out.resolve(e.name + ".png");
                    Downloads.download(e.event.path("image").path("url").asText(), png);
                    if (e.event.has("trajectory")) {
                        Downloads.download(e.event.path("trajectory").path("url").asText(),
                                out.resolve(e.name + ".gif"));
                    }
                    line = String.format(Locale.ROOT, "COMPLETED %s (%s)", png, batchOf(e.event));
                } else {
                    line = "FAILED " + e.event.path("error").path("code").asText() + ": "
                            + e.event.path("error").path("message").asText();
                }
                progress(err, "[%2d/%d] %5.1f s  %-22s %s", done, entries.size(), (System.nanoTime() - start) / 1e9,
                        e.name, line);
            }
        }
        if (done < entries.size()) {
            progress(err, "only %d of %d events arrived within %s", done, entries.size(), timeout);
        }
    }

    private static void summary(PrintWriter out, List<Entry> entries) {
        out.println();
        out.println("| request | outcome | batch | seconds (sent to event) |");
        out.println("|---|---|---|---:|");
        for (Entry e : entries) {
            if (e.event == null) {
                out.printf("| %s | (no event) | | |%n", e.name);
                continue;
            }
            boolean ok = "COMPLETED".equals(e.event.path("status").asText());
            out.printf(Locale.ROOT, "| %s | %s | %s | %.1f |%n", e.name,
                    ok ? "COMPLETED" : "FAILED " + e.event.path("error").path("code").asText(),
                    ok ? batchOf(e.event) : "-", e.seconds);
        }
        out.println();
        for (Entry e : entries) {
            if (e.event != null && e.event.has("image")) {
                out.println(e.name + ": " + e.event.path("image").path("url").asText());
            }
        }
        out.flush();
    }

    /** "16 images / 5 requests" for a request sampled in one batch; the largest batch when it was split. */
    private static String batchOf(JsonNode event) {
        JsonNode batches = event.path("batches");
        if (batches.isEmpty()) {
            return event.path("deduplicated").asBoolean() ? "existing result" : "-";
        }
        JsonNode largest = batches.get(0);
        for (JsonNode b : batches) {
            if (b.path("images").asInt() > largest.path("images").asInt()) {
                largest = b;
            }
        }
        return largest.path("images").asInt() + " images / " + largest.path("requests").asInt() + " requests"
                + (batches.size() > 1 ? " (" + batches.size() + " batches)" : "");
    }

    /**
     * Reports readiness once. The model is already warm (the worker starts before this command runs); requests sent
     * while Kafka is still assigning partitions simply wait in the topic, so there is nothing to wait for here.
     */
    private void reportReadiness(PrintWriter err) throws InterruptedException {
        HttpRequest probe = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/q/health/ready"))
                .timeout(Duration.ofSeconds(5)).build();
        try {
            HttpResponse<String> r = HTTP.send(probe, HttpResponse.BodyHandlers.ofString());
            JsonNode health = JSON.readTree(r.body());
            List<String> checks = new ArrayList<>();
            health.path("checks").forEach(c -> checks.add(c.path("name").asText() + " " + c.path("status").asText()));
            progress(err, "readiness %s (%s)%s", health.path("status").asText(), String.join(", ", checks),
                    r.statusCode() == 200 ? "" : "; requests wait in Kafka until the partitions are assigned");
        } catch (IOException e) {
            progress(err, "readiness not available yet (%s)", e.getMessage());
        }
    }

    private static void progress(PrintWriter err, String format, Object... args) {
        err.printf(Locale.ROOT, "demo: " + format + "%n", args);
        err.flush();
    }
}
