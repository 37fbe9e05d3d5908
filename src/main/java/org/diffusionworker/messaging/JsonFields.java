package org.diffusionworker.messaging;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.diffusionworker.worker.ErrorCode;
import org.diffusionworker.worker.RequestRejectedException;

/**
 * The typed fields of a request record for the {@link RequestDecoder}: each reader refuses a value of the wrong type
 * with an INVALID_REQUEST that names the field and says what came ({@link #describe}), never the whole value.
 */
final class JsonFields {

    private JsonFields() {}

    static int integer(ObjectNode r, String field) {
        JsonNode n = r.get(field);
        if (!n.isIntegralNumber() || !n.canConvertToInt()) {
            throw invalid(field + " must be an integer, got " + describe(n));
        }
        return n.intValue();
    }

    static long longValue(ObjectNode r, String field) {
        JsonNode n = r.get(field);
        if (!n.isIntegralNumber() || !n.canConvertToLong()) {
            throw invalid(field + " must be an integer in 0..2^63-1, got " + describe(n));
        }
        return n.longValue();
    }

    static double number(ObjectNode r, String field) {
        JsonNode n = r.get(field);
        if (!n.isNumber()) {
            throw invalid(field + " must be a number, got " + describe(n));
        }
        return n.doubleValue();
    }

    static boolean bool(ObjectNode r, String field) {
        JsonNode n = r.get(field);
        if (!n.isBoolean()) {
            throw invalid(field + " must be true or false, got " + describe(n));
        }
        return n.booleanValue();
    }

    /** Present and not null: a JSON null means "use the default", like an absent field. */
    static boolean present(ObjectNode r, String field) {
        JsonNode n = r.get(field);
        return n != null && !n.isNull();
    }

    static RequestRejectedException invalid(String message) {
        return new RequestRejectedException(ErrorCode.INVALID_REQUEST, message);
    }

    /** The type of a JSON value and a short excerpt, never the whole value (no payload dumps). */
    static String describe(JsonNode n) {
        if (n == null || n.isNull()) {
            return "null";
        }
        if (n.isTextual()) {
            return "the string \"" + shorten(n.asText()) + "\"";
        }
        if (n.isNumber()) {
            return "the number " + shorten(n.asText());
        }
        if (n.isBoolean()) {
            return n.asText();
        }
        return n.isArray() ? "an array" : "an object";
    }

    static String shorten(String s) {
        StringBuilder out = new StringBuilder();
        s.codePoints().limit(40).forEach(c -> out.appendCodePoint(Character.isISOControl(c) ? '?' : c));
        return s.length() > 40 ? out + "..." : out.toString();
    }
}
