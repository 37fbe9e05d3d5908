package org.diffusionworker.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.diffusionworker.storage.ObjectKeys;
import org.diffusionworker.worker.ResultLayout;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code submit}: the reference producer. Sends one request (flags mirror the JSON of docs/messages.md), waits for its
 * event on the events topic, prints the URLs of what was stored (the grid, then each single image, then the GIF, one
 * per line) and can download the PNGs. Uses plain Kafka clients, as any
 * producer in another service would; it does not need the worker to run in this process.
 */
@Command(name = "submit", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Send one generation request to Kafka, wait for its event, print the URL (and download the PNG);"
                + " --follow prints its STARTED and PROGRESS events, --cancel ID takes a request back.")
public class SubmitCommand implements Callable<Integer> {

    static final int FAILED_EXIT_CODE = 3;
    static final int CANCELED_EXIT_CODE = 4;

    @Spec
    CommandSpec spec;

    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT",
            description = "Kafka bootstrap servers. Default: the kafka.bootstrap.servers setting (localhost:9092).")
    String bootstrapServers;

    @Option(names = "--requests-topic", defaultValue = "generation-requests", description = "Default: ${DEFAULT-VALUE}.")
    String requestsTopic;

    @Option(names = "--events-topic", defaultValue = "generation-events", description = "Default: ${DEFAULT-VALUE}.")
    String eventsTopic;

    @Option(names = "--id", paramLabel = "ID", description = "Request id (the idempotency key). Default: a random one.")
    String requestId;

    @ArgGroup(exclusive = true, multiplicity = "0..1")
    ConditioningFlags conditioning;

    @Option(names = "--count", description = "Images (1..the worker's max-count). Default: the worker's (16).")
    Integer count;

    @Option(names = "--sampler", paramLabel = "ddim|ddpm|dpmpp-2m|unipc",
            description = "ddim, ddpm, dpmpp-2m or unipc. Default: the worker's (its preset's sampler).")
    String sampler;

    @Option(names = "--steps", description = "Steps of ddim, dpmpp-2m or unipc. Default: the worker's (its preset's).")
    Integer steps;

    @Option(names = "--eta", description = "DDIM eta in [0, 1]. Default: 0.")
    Double eta;

    @Option(names = "--guidance", description = "Classifier-free guidance weight in [0, 20]. Default: 0.")
    Double guidance;

    @Option(names = "--seed", description = "Seed. Default: drawn by the worker (and reported).")
    Long seed;

    @Option(names = "--columns", description = "Images per grid row. Default: ceil(sqrt(count)).")
    Integer columns;

    @Option(names = "--trajectory", description = "Also store the denoising as an animated GIF.")
    boolean trajectory;

    @Option(names = "--layout", paramLabel = "grid|images|both", description = "What to store: one PNG grid, each"
            + " image as a PNG of its own, or both. Default: the worker's (grid).")
    String layout;

    @Option(names = "--deadline", paramLabel = "ISO-8601",
            description = "Give up if sampling has not started by then, e.g. 2030-01-01T12:00:00Z.")
    String deadline;

    @Option(names = "--attribute", paramLabel = "NAME=VALUE", description = "Echoed back in the event (repeatable).")
    Map<String, String> attributes = new LinkedHashMap<>();

    @Option(names = "--timeout", defaultValue = "10m", description = "How long to wait for the event. Default: ${DEFAULT-VALUE}.")
    String timeout;

    @Option(names = "--download", paramLabel = "FILE", description = "Download the PNG grid to FILE.")
    Path download;

    @Option(names = "--download-images", paramLabel = "DIR",
            description = "Download each single image (--layout images or both) to DIR/<index>.png.")
    Path downloadImages;

    @Option(names = "--print-event", description = "Print the whole event JSON.")
    boolean printEvent;

    @Option(names = "--follow", description = "Ask for STARTED and PROGRESS events and print them as they come"
            + " (on stderr); with --cancel, wait for the request's terminal event.")
    boolean follow;

    @Option(names = "--cancel", paramLabel = "ID", description = "Send no request: cancel request ID (a record on"
            + " --control-topic). Queued or running, it is answered CANCELED; done, nothing changes.")
    String cancel;

    @Option(names = "--control-topic", defaultValue = "generation-control", description = "Default: ${DEFAULT-VALUE}.")
    String controlTopic;

    @ConfigProperty(name = "kafka.bootstrap.servers", defaultValue = "localhost:9092")
    String configuredBootstrapServers;

    /** What to condition on (exclusive): a label, a weighted mix, or nothing. */
    static final class ConditioningFlags {
        @Option(names = "--label", paramLabel = "NAME", description = "Generate this label.")
        String label;

        @Option(names = "--context", paramLabel = "NAME=WEIGHT", split = ",",
                description = "Weighted mix of labels, e.g. sneaker=0.6,bag=0.4.")
        Map<String, Double> context;

        @Option(names = "--unconditional", description = "No context.")
        boolean unconditional;
    }

    @Override
    public Integer call() throws Exception {
        ObjectMapper json = new ObjectMapper();
        String id = requestId != null ? requestId : "submit-" + UUID.randomUUID();
        String servers = bootstrapServers != null ? bootstrapServers : configuredBootstrapServers;
        Duration wait = parseDuration(timeout);
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (cancel != null) {
            return sendCancel(json, servers, wait, out, err);
        }
        ObjectNode request = request(json, id);

        try (KafkaConsumer<String, String> events = consumer(servers);
             KafkaProducer<String, String> producer = producer(servers)) {
            positionAtEnd(events, wait);
            producer.send(new ProducerRecord<>(requestsTopic, id, json.writeValueAsString(request)))
                    .get(30, TimeUnit.SECONDS);
            err.printf("sent request %s to %s on %s; waiting up to %s for its event on %s%n", id, requestsTopic,
                    servers, timeout, eventsTopic);
            err.flush();
            return answer(json, awaitTerminalEvent(json, events, id, wait, err), id, out, err);
        }
    }

    /** Sends a cancel for {@link #cancel}; with --follow waits for that request's terminal event. */
    private int sendCancel(ObjectMapper json, String servers, Duration wait, PrintWriter out, PrintWriter err)
            throws Exception {
        try {
            ObjectKeys.requireValidRequestId(cancel);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--cancel: " + e.getMessage());
        }
        ObjectNode record = json.createObjectNode().put("schemaVersion", 1).put("action", "cancel")
                .put("requestId", cancel);
        try (KafkaConsumer<String, String> events = consumer(servers);
             KafkaProducer<String, String> producer = producer(servers)) {
            if (follow) {
                positionAtEnd(events, wait);
            }
            producer.send(new ProducerRecord<>(controlTopic, cancel, json.writeValueAsString(record)))
                    .get(30, TimeUnit.SECONDS);
            err.printf("sent cancel of %s to %s on %s%n", cancel, controlTopic, servers);
            err.flush();
            if (!follow) {
                return 0;
            }
            return answer(json, awaitTerminalEvent(json, events, cancel, wait, err), cancel, out, err);
        }
    }

    /** Prints the terminal event; the exit code: 0 COMPLETED, 3 FAILED (or no event in time), 4 CANCELED. */
    private int answer(ObjectMapper json, ConsumerRecord<String, String> event, String id, PrintWriter out,
            PrintWriter err) throws IOException, InterruptedException {
        if (event == null) {
            err.printf("no event for %s within %s%n", id, timeout);
            return FAILED_EXIT_CODE;
        }
        JsonNode body = json.readTree(event.value());
        if (printEvent) {
            out.println(json.writerWithDefaultPrettyPrinter().writeValueAsString(body));
        }
        if ("CANCELED".equals(body.path("status").asText())) {
            err.printf("%s CANCELED while %s, %d step(s) done; nothing stored%n", id,
                    body.path("canceledWhile").asText(), body.path("stepsDone").asInt());
            return CANCELED_EXIT_CODE;
        }
        if (!"COMPLETED".equals(body.path("status").asText())) {
            err.printf("%s FAILED %s: %s%n", id, body.path("error").path("code").asText(),
                    body.path("error").path("message").asText());
            return FAILED_EXIT_CODE;
        }
        // Layout images stores no grid: the event has no "image" then, only "images".
        JsonNode image = body.path("image");
        JsonNode images = body.path("images");
        JsonNode parameters = body.path("parameters");
        String what = image.isMissingNode() ? ""
                : String.format(java.util.Locale.ROOT, ", %dx%d px grid", image.path("width").asInt(),
                        image.path("height").asInt());
        what += images.isMissingNode() ? "" : ", " + images.size() + " single PNG(s)";
        err.printf("%s COMPLETED (%s): %d image(s)%s, seed %d, %s, %d ms end to end%n", id,
                header(event, "ce_type"), parameters.path("count").asInt(), what, parameters.path("seed").asLong(),
                body.path("deduplicated").asBoolean() ? "existing result" : "sampled",
                body.path("timings").path("endToEndMs").asLong());
        if (!image.isMissingNode()) {
            out.println(image.path("url").asText());
        }
        for (JsonNode single : images) {
            out.println(single.path("url").asText());
        }
        if (!body.path("trajectory").isMissingNode()) {
            out.println(body.path("trajectory").path("url").asText());
        }
        out.flush();
        if (download != null) {
            if (image.isMissingNode()) {
                err.printf("no grid to download: layout %s stores none (--download-images DIR takes the images)%n",
                        parameters.path("layout").asText());
                return FAILED_EXIT_CODE;
            }
            downloadTo(image.path("url").asText(), download);
            err.printf("wrote %s%n", download);
        }
        if (downloadImages != null) {
            if (images.isMissingNode()) {
                err.printf("no single images to download: layout %s stores none (ask with --layout images or both)%n",
                        parameters.path("layout").asText("grid"));
                return FAILED_EXIT_CODE;
            }
            for (JsonNode single : images) {
                downloadTo(single.path("url").asText(), downloadImages.resolve(single.path("index").asInt() + ".png"));
            }
            err.printf("wrote %d image(s) to %s%n", images.size(), downloadImages);
        }
        return 0;
    }

    private ObjectNode request(ObjectMapper json, String id) {
        ObjectNode r = json.createObjectNode();
        r.put("schemaVersion", 1);
        r.put("requestId", id);
        if (conditioning != null && conditioning.label != null) {
            r.put("label", conditioning.label);
        } else if (conditioning != null && conditioning.context != null) {
            ObjectNode context = r.putObject("context");
            conditioning.context.forEach(context::put);
        }
        if (count != null) {
            r.put("count", count);
        }
        if (sampler != null) {
            r.put("sampler", sampler);
        }
        if (steps != null) {
            r.put("steps", steps);
        }
        if (eta != null) {
            r.put("eta", eta);
        }
        if (guidance != null) {
            r.put("guidance", guidance);
        }
        if (seed != null) {
            r.put("seed", seed);
        }
        if (columns != null) {
            r.put("columns", columns);
        }
        if (trajectory) {
            r.put("trajectory", true);
        }
        if (layout != null) {
            if (ResultLayout.byId(layout) == null) {
                throw new IllegalArgumentException("--layout must be grid, images or both, got '" + layout + "'");
            }
            r.put("layout", layout);
        }
        if (download != null && "images".equals(layout)) {
            throw new IllegalArgumentException("--download takes the grid, which --layout images does not store;"
                    + " use --download-images DIR");
        }
        if (downloadImages != null && !("images".equals(layout) || "both".equals(layout))) {
            throw new IllegalArgumentException("--download-images needs --layout images or both (the default layout,"
                    + " grid, stores no single images)");
        }
        if (deadline != null) {
            try {
                OffsetDateTime.parse(deadline);
            } catch (DateTimeParseException e) {
                throw new IllegalArgumentException("--deadline must be an ISO-8601 date-time with offset, e.g."
                        + " 2030-01-01T12:00:00Z, got '" + deadline + "'");
            }
            r.put("deadline", deadline);
        }
        if (!attributes.isEmpty()) {
            ObjectNode a = r.putObject("attributes");
            attributes.forEach(a::put);
        }
        if (follow) {
            r.putArray("events").add("started").add("progress");
        }
        return r;
    }

    /** Only events after this point: the positions taken now, before the request can be answered. */
    private void positionAtEnd(KafkaConsumer<String, String> events, Duration wait) {
        List<TopicPartition> partitions = eventPartitions(events, wait);
        events.assign(partitions);
        events.seekToEnd(partitions);
        partitions.forEach(events::position);
    }

    private List<TopicPartition> eventPartitions(KafkaConsumer<String, String> events, Duration wait) {
        List<PartitionInfo> infos = events.partitionsFor(eventsTopic, wait);
        if (infos == null || infos.isEmpty()) {
            throw new IllegalArgumentException("topic " + eventsTopic + " does not exist on " + bootstrapServers);
        }
        return infos.stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
    }

    /**
     * Polls until the terminal event keyed {@code id} arrives (each poll blocks in the client until records come),
     * printing its STARTED and PROGRESS events on the way.
     */
    private static ConsumerRecord<String, String> awaitTerminalEvent(ObjectMapper json,
            KafkaConsumer<String, String> events, String id, Duration wait, PrintWriter err) throws IOException {
        long deadline = System.nanoTime() + wait.toNanos();
        while (System.nanoTime() < deadline) {
            for (ConsumerRecord<String, String> record : events.poll(Duration.ofMillis(500))) {
                if (!id.equals(record.key())) {
                    continue;
                }
                JsonNode body = json.readTree(record.value());
                switch (body.path("status").asText()) {
                    case "STARTED" -> err.printf("%s STARTED after %d ms in queue, in a batch of %d image(s) from %d"
                            + " request(s)%n", id, body.path("queuedMs").asLong(),
                            body.path("batch").path("images").asInt(), body.path("batch").path("requests").asInt());
                    case "PROGRESS" -> err.printf("%s PROGRESS step %d of %d, about %.1f s left%n", id,
                            body.path("step").asInt(), body.path("steps").asInt(),
                            body.path("etaMs").asLong() / 1000.0);
                    default -> {
                        return record;
                    }
                }
                err.flush();
            }
        }
        return null;
    }

    static void downloadTo(String url, Path file) throws IOException, InterruptedException {
        HttpResponse<byte[]> response = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofMinutes(1)).GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());
        if (response.statusCode() != 200) {
            throw new IOException("GET of the image returned HTTP " + response.statusCode());
        }
        OutputFolders.createFor(file);
        Files.write(file, response.body());
    }

    private static String header(ConsumerRecord<String, String> record, String name) {
        Header h = record.headers().lastHeader(name);
        return h == null ? "no " + name : new String(h.value(), StandardCharsets.UTF_8);
    }

    static Duration parseDuration(String text) {
        try {
            String t = text.trim().toLowerCase(java.util.Locale.ROOT);
            if (t.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
            }
            long n = Long.parseLong(t.substring(0, t.length() - 1));
            return switch (t.charAt(t.length() - 1)) {
                case 's' -> Duration.ofSeconds(n);
                case 'm' -> Duration.ofMinutes(n);
                case 'h' -> Duration.ofHours(n);
                default -> throw new NumberFormatException();
            };
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("durations are like 90s, 10m or 1h, got '" + text + "'");
        }
    }

    static KafkaProducer<String, String> producer(String servers) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, servers);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        return new KafkaProducer<>(p);
    }

    static KafkaConsumer<String, String> consumer(String servers) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, servers);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        // Terminal events are written in transactions: an aborted one (a worker fenced off) must not be read.
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        return new KafkaConsumer<>(p);
    }

}
