package org.diffusionworker.messaging;

import static org.diffusionworker.messaging.JsonFields.bool;
import static org.diffusionworker.messaging.JsonFields.describe;
import static org.diffusionworker.messaging.JsonFields.integer;
import static org.diffusionworker.messaging.JsonFields.invalid;
import static org.diffusionworker.messaging.JsonFields.longValue;
import static org.diffusionworker.messaging.JsonFields.number;
import static org.diffusionworker.messaging.JsonFields.present;
import static org.diffusionworker.messaging.JsonFields.shorten;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.LinkedHashMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.IntFunction;
import org.diffusionworker.diffusion.SamplerKind;
import org.diffusionworker.generation.Conditioning;
import org.diffusionworker.storage.ObjectKeys;
import org.diffusionworker.worker.Delivery;
import org.diffusionworker.worker.ErrorCode;
import org.diffusionworker.worker.GenerationRequest;
import org.diffusionworker.worker.Priority;
import org.diffusionworker.worker.RequestEvent;
import org.diffusionworker.worker.RequestRejectedException;
import org.diffusionworker.worker.ResultLayout;
import org.diffusionworker.worker.SamplingParameters;
import org.diffusionworker.worker.SamplingPreset;
import org.diffusionworker.worker.Scheduling;

/**
 * Reads a request record (docs/messages.md, schemas/generation-request.schema.json). Never throws: every way a
 * record can be wrong becomes a {@link DecodedRequest.Refused} with a message that says what to fix, so one bad
 * record cannot fail its neighbours. Unknown fields are ignored.
 */
final class RequestDecoder {

    /** The request schema version this worker reads; a record without the field is version 1. */
    static final int SCHEMA_VERSION = 1;
    static final int MAX_ATTRIBUTES = 32;
    static final int MAX_ATTRIBUTE_LENGTH = 256;
    static final int MAX_LABEL_LENGTH = 128;
    static final int MAX_CONTEXT_ENTRIES = 64;
    /** A request is an object of scalars and two flat objects: anything deeper is not a request. */
    static final int MAX_NESTING_DEPTH = 8;
    /** Longer number literals are refused by the parser (Jackson would otherwise read up to 1,000 digits). */
    static final int MAX_NUMBER_LENGTH = 64;
    /** Deadlines and record times outside this window are refused (deadline) or ignored (record time). */
    static final Instant EARLIEST = Instant.parse("2000-01-01T00:00:00Z");
    static final Instant LATEST = Instant.parse("2100-01-01T00:00:00Z");

    private final ObjectMapper json;
    private final int maxPayloadBytes;

    RequestDecoder(ObjectMapper json, int maxPayloadBytes) {
        // Duplicate keys make a request ambiguous: refuse rather than let the last one win.
        this.json = json.copy().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
        this.json.getFactory().setStreamReadConstraints(StreamReadConstraints.builder()
                .maxNestingDepth(MAX_NESTING_DEPTH)
                .maxNumberLength(MAX_NUMBER_LENGTH)
                .maxStringLength(Math.max(1, maxPayloadBytes))
                .build());
        this.maxPayloadBytes = maxPayloadBytes;
    }

    /**
     * @param payload     the record value (null for a tombstone)
     * @param key         the record key, which should be the request id (null when absent)
     * @param submittedAt the record's create time, or null
     */
    DecodedRequest decode(byte[] payload, String key, Instant submittedAt) {
        return decode(payload, key, submittedAt, null);
    }

    /**
     * As {@link #decode(byte[], String, Instant)}, with the record's {@code tenant} header ({@code tenantHeader}, null
     * when absent): the tenant of a request that names none.
     */
    DecodedRequest decode(byte[] payload, String key, Instant submittedAt, String tenantHeader) {
        String keyId = validIdOrNull(key);
        // A producer sets the record time; one outside the window is not a send time worth measuring from.
        Instant sent = submittedAt != null && !submittedAt.isBefore(EARLIEST) && submittedAt.isBefore(LATEST)
                ? submittedAt : null;
        if (payload == null || payload.length == 0) {
            return undecodable(keyId, key, "the record has no value; send the request as a JSON object");
        }
        if (payload.length > maxPayloadBytes) {
            return new DecodedRequest.Refused(keyId, null, ErrorCode.LIMIT_EXCEEDED, "the request is " + payload.length
                    + " bytes; this worker reads at most " + maxPayloadBytes, false, key);
        }
        JsonNode root;
        try {
            root = json.readTree(payload);
        } catch (JsonProcessingException e) {
            return undecodable(keyId, key, "the value is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            return undecodable(keyId, key, "the value could not be read as JSON: " + e.getMessage());
        }
        if (!(root instanceof ObjectNode request)) {
            return undecodable(keyId, key, "the value must be a JSON object, got " + describe(root));
        }
        String requestId = request.path("requestId").isTextual() ? request.get("requestId").asText() : null;
        String answerId = validIdOrNull(requestId) != null ? requestId : keyId;
        String offered = requestId != null ? requestId : key;
        try {
            GenerationRequest decoded = read(request, sent, tenantHeader);
            if (key != null && !key.equals(decoded.requestId())) {
                return new DecodedRequest.Refused(decoded.requestId(), decoded, ErrorCode.INVALID_REQUEST,
                        "the record key '" + shorten(key) + "' differs from requestId '" + decoded.requestId()
                                + "'; key each record by its requestId (or leave the key empty)", false, offered);
            }
            return new DecodedRequest.Valid(decoded);
        } catch (RequestRejectedException e) {
            return new DecodedRequest.Refused(answerId, null, e.code(), e.getMessage(), false, offered);
        } catch (IllegalArgumentException e) {
            return new DecodedRequest.Refused(answerId, null, ErrorCode.INVALID_REQUEST, e.getMessage(), false, offered);
        }
    }

    private GenerationRequest read(ObjectNode r, Instant submittedAt, String tenantHeader) {
        JsonNode version = r.get("schemaVersion");
        if (version != null && !version.isNull()) {
            int v = integer(r, "schemaVersion");
            if (v != SCHEMA_VERSION) {
                throw invalid("schemaVersion " + v + " is not supported by this worker (it reads " + SCHEMA_VERSION + ")");
            }
        }
        JsonNode id = r.get("requestId");
        if (id == null || id.isNull()) {
            throw invalid("requestId is missing");
        }
        if (!id.isTextual()) {
            throw invalid("requestId must be a string, got " + describe(id));
        }
        // Every field's type first, then the request's own checks, then its parts': a record wrong in several ways is
        // refused for the first fault in that order.
        String requestId = id.asText();
        Conditioning conditioning = conditioning(r);
        int count = present(r, "count") ? integer(r, "count") : 16;
        SamplerKind sampler = present(r, "sampler") ? sampler(r) : null;
        Integer steps = present(r, "steps") ? Integer.valueOf(integer(r, "steps")) : null;
        SamplingPreset preset = present(r, "preset") ? preset(r) : SamplingPreset.STANDARD;
        double eta = present(r, "eta") ? number(r, "eta") : 0;
        double guidance = present(r, "guidance") ? number(r, "guidance") : 0;
        Long seed = present(r, "seed") ? longValue(r, "seed") : null;
        Integer columns = present(r, "columns") ? integer(r, "columns") : null;
        boolean trajectory = present(r, "trajectory") && bool(r, "trajectory");
        Instant deadline = present(r, "deadline") ? deadline(r) : null;
        Map<String, String> attributes = present(r, "attributes") ? attributes(r) : Map.of();
        Set<RequestEvent> events = present(r, "events") ? events(r) : Set.of();
        ResultLayout layout = present(r, "layout")
                ? choice(r, "layout", ResultLayout::byId, ResultLayout.choices()) : ResultLayout.GRID;
        Priority priority = present(r, "priority")
                ? choice(r, "priority", Priority::byId, Priority.choices()) : Priority.NORMAL;
        Scheduling scheduling = new Scheduling(priority, tenant(r, tenantHeader));
        GenerationRequest.requireValid(requestId, count);
        return new GenerationRequest(requestId, conditioning, count,
                new SamplingParameters(sampler, steps, preset, eta, guidance, seed),
                new Delivery(columns, trajectory, layout, events), scheduling, deadline, attributes, submittedAt);
    }

    /** The value of {@code field} that {@code byId} names; refused, naming {@code choices}, when it names none. */
    private static <T> T choice(ObjectNode r, String field, Function<String, T> byId, String choices) {
        JsonNode v = r.get(field);
        T value = v.isTextual() ? byId.apply(v.asText()) : null;
        if (value == null) {
            throw invalid(field + " must be " + choices + ", got " + describe(v));
        }
        return value;
    }

    /** The request's {@code tenant}, else the record's {@code tenant} header, else {@link Scheduling#DEFAULT_TENANT}. */
    private static String tenant(ObjectNode r, String tenantHeader) {
        if (present(r, "tenant")) {
            JsonNode t = r.get("tenant");
            if (!t.isTextual()) {
                throw invalid("tenant must be a string, got " + describe(t));
            }
            return Scheduling.requireValidTenant(t.asText());
        }
        if (tenantHeader != null) {
            try {
                return Scheduling.requireValidTenant(tenantHeader);
            } catch (RequestRejectedException e) {
                throw invalid("the record header 'tenant' is not a valid tenant: " + e.getMessage());
            }
        }
        return Scheduling.DEFAULT_TENANT;
    }

    private static Conditioning conditioning(ObjectNode r) {
        boolean label = present(r, "label");
        boolean context = present(r, "context");
        if (label && context) {
            throw invalid("give either label or context, not both");
        }
        if (label) {
            JsonNode l = r.get("label");
            if (!l.isTextual() || l.asText().isBlank()) {
                throw invalid("label must be a non-empty string, got " + describe(l));
            }
            return Conditioning.label(labelName(l.asText()));
        }
        if (context) {
            Map<String, Double> weights = new LinkedHashMap<>();
            for (Map.Entry<String, JsonNode> e : entries(r, "context",
                    "label weights, e.g. {\"sneaker\": 0.6, \"bag\": 0.4}", MAX_CONTEXT_ENTRIES,
                    n -> "context may name at most " + MAX_CONTEXT_ENTRIES + " labels, got " + n)) {
                if (!e.getValue().isNumber()) {
                    throw invalid("context weight of '" + shorten(e.getKey()) + "' must be a number, got "
                            + describe(e.getValue()));
                }
                weights.put(labelName(e.getKey()), e.getValue().asDouble());
            }
            try {
                return Conditioning.mix(weights);
            } catch (IllegalArgumentException e) {
                throw invalid(e.getMessage());
            }
        }
        return Conditioning.unconditional();
    }

    /** {@code "fast"} or {@code "standard"}; the worker's settings say how many steps each is. */
    private static SamplingPreset preset(ObjectNode r) {
        JsonNode p = r.get("preset");
        if (!p.isTextual() || !(p.asText().equals("fast") || p.asText().equals("standard"))) {
            throw invalid("preset must be \"fast\" or \"standard\", got " + (p.isTextual()
                    ? "\"" + shorten(p.asText()) + "\"" : describe(p)));
        }
        return p.asText().equals("fast") ? SamplingPreset.FAST : SamplingPreset.STANDARD;
    }

    private static SamplerKind sampler(ObjectNode r) {
        JsonNode s = r.get("sampler");
        if (!s.isTextual()) {
            throw invalid("sampler must be one of " + SamplerKind.choices() + ", got " + describe(s));
        }
        try {
            return SamplerKind.parse(s.asText());
        } catch (IllegalArgumentException e) {
            throw invalid("sampler must be one of " + SamplerKind.choices() + ", got \"" + shorten(s.asText()) + "\"");
        }
    }

    /** An array of distinct {@code "started"} / {@code "progress"}: the intermediate events the producer wants. */
    private static Set<RequestEvent> events(ObjectNode r) {
        JsonNode e = r.get("events");
        String choices = "\"started\" and/or \"progress\"";
        if (!e.isArray()) {
            throw invalid("events must be an array of " + choices + ", got " + describe(e));
        }
        Set<RequestEvent> events = EnumSet.noneOf(RequestEvent.class);
        for (JsonNode item : e) {
            RequestEvent kind = item.isTextual() ? RequestEvent.byId(item.asText()) : null;
            if (kind == null) {
                throw invalid("events may hold only " + choices + ", got " + describe(item));
            }
            if (!events.add(kind)) {
                throw invalid("events names \"" + kind.id() + "\" twice");
            }
        }
        return events;
    }

    private static Instant deadline(ObjectNode r) {
        JsonNode d = r.get("deadline");
        if (!d.isTextual()) {
            throw invalid("deadline must be an ISO-8601 date-time string, e.g. 2030-01-01T12:00:00Z, got " + describe(d));
        }
        Instant deadline;
        try {
            deadline = OffsetDateTime.parse(d.asText()).toInstant();
        } catch (DateTimeException e) {
            throw invalid("deadline '" + shorten(d.asText()) + "' is not an ISO-8601 date-time with offset,"
                    + " e.g. 2030-01-01T12:00:00Z");
        }
        if (deadline.isBefore(EARLIEST) || !deadline.isBefore(LATEST)) {
            throw invalid("deadline '" + shorten(d.asText()) + "' is outside " + EARLIEST + " .. " + LATEST
                    + "; leave it out for no deadline");
        }
        return deadline;
    }

    private static String labelName(String name) {
        if (name.length() > MAX_LABEL_LENGTH) {
            throw new RequestRejectedException(ErrorCode.LIMIT_EXCEEDED, "label names may be at most "
                    + MAX_LABEL_LENGTH + " characters ('" + shorten(name) + "')");
        }
        return name;
    }

    private static Map<String, String> attributes(ObjectNode r) {
        Map<String, String> attributes = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : entries(r, "attributes", "strings", MAX_ATTRIBUTES,
                n -> "attributes may hold at most " + MAX_ATTRIBUTES + " entries, got " + n)) {
            if (!e.getValue().isTextual()) {
                throw invalid("attribute '" + shorten(e.getKey()) + "' must be a string, got " + describe(e.getValue()));
            }
            if (e.getKey().length() > MAX_ATTRIBUTE_LENGTH || e.getValue().asText().length() > MAX_ATTRIBUTE_LENGTH) {
                throw new RequestRejectedException(ErrorCode.LIMIT_EXCEEDED, "attribute names and values may be at most "
                        + MAX_ATTRIBUTE_LENGTH + " characters ('" + shorten(e.getKey()) + "')");
            }
            attributes.put(e.getKey(), e.getValue().asText());
        }
        return attributes;
    }

    /**
     * The entries of the object {@code field}, in order: refused when it is not an object ({@code "<field> must be an
     * object of <holding>"}) or has more than {@code max} entries ({@link ErrorCode#LIMIT_EXCEEDED}, {@code tooMany} of
     * its size).
     */
    private static Set<Map.Entry<String, JsonNode>> entries(ObjectNode r, String field, String holding, int max,
            IntFunction<String> tooMany) {
        JsonNode node = r.get(field);
        if (!node.isObject()) {
            throw invalid(field + " must be an object of " + holding + ", got " + describe(node));
        }
        if (node.size() > max) {
            throw new RequestRejectedException(ErrorCode.LIMIT_EXCEEDED, tooMany.apply(node.size()));
        }
        return node.properties();
    }

    private static DecodedRequest.Refused undecodable(String keyId, String key, String message) {
        return new DecodedRequest.Refused(keyId, null, ErrorCode.INVALID_REQUEST, message, true, key);
    }

    /** {@code id} when it is a valid request id, else null. */
    static String validIdOrNull(String id) {
        try {
            return id == null ? null : ObjectKeys.requireValidRequestId(id);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
