package org.diffusionworker.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import org.diffusionworker.client.Durations;
import org.diffusionworker.client.RequestClient;
import org.diffusionworker.client.RequestJson;
import org.diffusionworker.client.TerminalEvent;
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

    static final int FAILED_EXIT_CODE = TerminalEvent.FAILED_EXIT_CODE;
    static final int CANCELED_EXIT_CODE = TerminalEvent.CANCELED_EXIT_CODE;

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
        PrintWriter err = spec.commandLine().getErr();
        RequestClient client = new RequestClient(json, kafka.servers(), new RequestClient.Topics(kafka.requestsTopic,
                kafka.eventsTopic, controlTopic), Durations.parse(timeout), new TerminalEvent(json, timeout, printEvent,
                download, downloadImages, spec.commandLine().getOut(), err), err);
        if (cancel == null) {
            String id = requestId != null ? requestId : "submit-" + UUID.randomUUID();
            return client.submit(id, request(json, id), timeout);
        }
        try {
            ObjectKeys.requireValidRequestId(cancel);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--cancel: " + e.getMessage());
        }
        return client.cancel(cancel, follow);
    }

    private ObjectNode request(ObjectMapper json, String id) {
        RequestJson r = new RequestJson(json, id);
        ConditioningOptions.putInto(conditioning, r);
        sampling.putInto(r);
        if (trajectory) {
            r.optional("trajectory", true);
        }
        if (layout != null && ResultLayout.byId(layout) == null) {
            throw new IllegalArgumentException("--layout must be grid, images or both, got '" + layout + "'");
        }
        r.optional("layout", layout);
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
        }
        r.optional("deadline", deadline);
        if (!attributes.isEmpty()) {
            ObjectNode a = r.node().putObject("attributes");
            attributes.forEach(a::put);
        }
        if (follow) {
            r.node().putArray("events").add("started").add("progress");
        }
        return r.node();
    }
}
