package org.diffusionworker.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.diffusionworker.client.Downloads;
import org.diffusionworker.client.Durations;
import org.diffusionworker.client.KafkaClients;
import org.diffusionworker.client.RequestEvents;
import org.diffusionworker.storage.ObjectKeys;
import org.diffusionworker.worker.ResultLayout;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
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
        resourceBundle = "org.diffusionworker.cli.SubmitCommand",
        description = "Send one generation request to Kafka, wait for its event, print the URL (and download the PNG);"
                + " --follow prints its STARTED and PROGRESS events, --cancel ID takes a request back.")
public class SubmitCommand implements Callable<Integer> {

    static final int FAILED_EXIT_CODE = 3;
    static final int CANCELED_EXIT_CODE = 4;

    @Spec
    CommandSpec spec;

    @Mixin
    KafkaOptions kafka = new KafkaOptions();

    @Option(names = "--id", paramLabel = "ID", description = "Request id (the idempotency key). Default: a random one.")
    String requestId;

    @ArgGroup(exclusive = true, multiplicity = "0..1")
    ConditioningOptions conditioning;

    @Mixin
    SamplingOptions sampling = new SamplingOptions();

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

    @Override
    public Integer call() throws Exception {
        ObjectMapper json = new ObjectMapper();
        String id = requestId != null ? requestId : "submit-" + UUID.randomUUID();
        String servers = kafka.servers();
        Duration wait = Durations.parse(timeout);
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (cancel != null) {
            return sendCancel(json, servers, wait, out, err);
        }
        ObjectNode request = request(json, id);

        try (KafkaConsumer<String, String> events = KafkaClients.consumer(servers);
             KafkaProducer<String, String> producer = KafkaClients.producer(servers)) {
            RequestEvents.positionAtEnd(events, kafka.eventsTopic, servers, wait);
            producer.send(new ProducerRecord<>(kafka.requestsTopic, id, json.writeValueAsString(request)))
                    .get(30, TimeUnit.SECONDS);
            err.printf("sent request %s to %s on %s; waiting up to %s for its event on %s%n", id, kafka.requestsTopic,
                    servers, timeout, kafka.eventsTopic);
            err.flush();
            return answer(json, RequestEvents.awaitTerminal(json, events, id, wait, err), id, out, err);
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
        try (KafkaConsumer<String, String> events = KafkaClients.consumer(servers);
             KafkaProducer<String, String> producer = KafkaClients.producer(servers)) {
            if (follow) {
                RequestEvents.positionAtEnd(events, kafka.eventsTopic, servers, wait);
            }
            producer.send(new ProducerRecord<>(controlTopic, cancel, json.writeValueAsString(record)))
                    .get(30, TimeUnit.SECONDS);
            err.printf("sent cancel of %s to %s on %s%n", cancel, controlTopic, servers);
            err.flush();
            if (!follow) {
                return 0;
            }
            return answer(json, RequestEvents.awaitTerminal(json, events, cancel, wait, err), cancel, out, err);
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
            Downloads.download(image.path("url").asText(), download);
            err.printf("wrote %s%n", download);
        }
        if (downloadImages != null) {
            if (images.isMissingNode()) {
                err.printf("no single images to download: layout %s stores none (ask with --layout images or both)%n",
                        parameters.path("layout").asText("grid"));
                return FAILED_EXIT_CODE;
            }
            for (JsonNode single : images) {
                Downloads.download(single.path("url").asText(), downloadImages.resolve(single.path("index").asInt() + ".png"));
            }
            err.printf("wrote %d image(s) to %s%n", images.size(), downloadImages);
        }
        return 0;
    }

    private ObjectNode request(ObjectMapper json, String id) {
        ObjectNode r = json.createObjectNode();
        r.put("schemaVersion", 1);
        r.put("requestId", id);
        ConditioningOptions.putInto(conditioning, r);
        sampling.putInto(r);
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

    private static String header(ConsumerRecord<String, String> record, String name) {
        Header h = record.headers().lastHeader(name);
        return h == null ? "no " + name : new String(h.value(), StandardCharsets.UTF_8);
    }
}
