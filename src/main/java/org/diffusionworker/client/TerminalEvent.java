package org.diffusionworker.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

/**
 * Reads a request's terminal event for the {@code submit} command: prints what was stored (the URLs of the grid,
 * each single image and the GIF on {@code out}, a summary on {@code err}) and downloads the PNGs asked for.
 *
 * @param timeout how long was waited, as the user wrote it (for the message when no event came)
 * @param printEvent print the whole event JSON too
 * @param download where to write the grid, or null
 * @param downloadImages where to write the single images, or null
 */
public record TerminalEvent(ObjectMapper json, String timeout, boolean printEvent, Path download,
        Path downloadImages, PrintWriter out, PrintWriter err) {

    /** The exit code when the request failed or no event came in time. */
    public static final int FAILED_EXIT_CODE = 3;
    /** The exit code when the request was canceled. */
    public static final int CANCELED_EXIT_CODE = 4;

    /** Prints the terminal event; the exit code: 0 COMPLETED, 3 FAILED (or no event in time), 4 CANCELED. */
    public int answer(ConsumerRecord<String, String> event, String id) throws IOException, InterruptedException {
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
                : String.format(Locale.ROOT, ", %dx%d px grid", image.path("width").asInt(),
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

    private static String header(ConsumerRecord<String, String> record, String name) {
        Header h = record.headers().lastHeader(name);
        return h == null ? "no " + name : new String(h.value(), StandardCharsets.UTF_8);
    }
}
