package org.diffusionworker.messaging;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Reads a control record (docs/messages.md, schemas/generation-control.schema.json):
 * {@code {"schemaVersion":1,"action":"cancel","requestId":"..."}}, keyed by the request id. Never throws: a record
 * that is not a valid cancel comes back as {@link Invalid} with the reason, to be logged, counted and skipped.
 */
final class ControlRecordDecoder {

    static final int MAX_BYTES = 4096;

    /** What a control record says. */
    sealed interface Decoded {}

    /** Cancel the request {@code requestId}. */
    record Cancel(String requestId) implements Decoded {}

    /** Not a control record this worker understands; {@code reason} says why (no payload dump). */
    record Invalid(String reason) implements Decoded {}

    private final ObjectMapper json;

    ControlRecordDecoder(ObjectMapper json) {
        this.json = json.copy().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
        this.json.getFactory().setStreamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(4)
                .maxNumberLength(32).maxStringLength(MAX_BYTES).build());
    }

    Decoded decode(byte[] payload, String key) {
        if (payload == null || payload.length == 0) {
            return new Invalid("the record has no value");
        }
        if (payload.length > MAX_BYTES) {
            return new Invalid("the record is " + payload.length + " bytes; a control record is at most " + MAX_BYTES);
        }
        JsonNode root;
        try {
            root = json.readTree(payload);
        } catch (IOException | RuntimeException e) {
            return new Invalid("the value is not valid JSON");
        }
        if (root == null || !root.isObject()) {
            return new Invalid("the value must be a JSON object");
        }
        JsonNode version = root.get("schemaVersion");
        if (version != null && !version.isNull() && !(version.isIntegralNumber() && version.asInt() == 1
                && version.canConvertToInt())) {
            return new Invalid("schemaVersion must be 1");
        }
        JsonNode action = root.get("action");
        if (action == null || !action.isTextual()) {
            return new Invalid("action is missing or not a string");
        }
        if (!action.asText().equals("cancel")) {
            return new Invalid("action '" + RecordOrigin.printable(action.asText()) + "' is not known (only \"cancel\")");
        }
        JsonNode id = root.get("requestId");
        String requestId = id != null && id.isTextual() ? RequestDecoder.validIdOrNull(id.asText()) : null;
        if (requestId == null) {
            return new Invalid("requestId is missing or not a valid request id");
        }
        if (key != null && !key.equals(requestId)) {
            return new Invalid("the record key '" + RecordOrigin.printable(key) + "' differs from requestId '"
                    + requestId + "'");
        }
        return new Cancel(requestId);
    }

    /** For logs: the first bytes of a record as printable text. */
    static String excerpt(byte[] payload) {
        if (payload == null) {
            return "null";
        }
        return RecordOrigin.printable(new String(payload, 0, Math.min(payload.length, 64), StandardCharsets.UTF_8));
    }
}
