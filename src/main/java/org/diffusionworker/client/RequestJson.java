package org.diffusionworker.client;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A generation request's JSON (docs/messages.md) as a producer writes it: the schema version and the request id, then
 * the fields in the order they are set. A field set to null is left out, so that the worker decides it.
 */
public final class RequestJson {

    private final ObjectNode request;

    public RequestJson(ObjectMapper json, String requestId) {
        request = json.createObjectNode();
        request.put("schemaVersion", 1);
        request.put("requestId", requestId);
    }

    /** Sets {@code field} to {@code value}: text, an Integer, a Long, a Double or a Boolean; null leaves it out. */
    public RequestJson optional(String field, Object value) {
        if (value instanceof String text) {
            request.put(field, text);
        } else if (value instanceof Integer number) {
            request.put(field, number);
        } else if (value instanceof Long number) {
            request.put(field, number);
        } else if (value instanceof Double number) {
            request.put(field, number);
        } else if (value instanceof Boolean flag) {
            request.put(field, flag);
        } else if (value != null) {
            throw new IllegalArgumentException(field + ": a request field is text, a number or a flag, got "
                    + value.getClass().getName());
        }
        return this;
    }

    /** The JSON so far, for the fields that are objects or arrays. */
    public ObjectNode node() {
        return request;
    }
}
