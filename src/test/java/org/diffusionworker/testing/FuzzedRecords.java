package org.diffusionworker.testing;

import java.nio.charset.StandardCharsets;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

/**
 * Generated request records for the property-based tests: mostly request-shaped JSON whose fields take extreme,
 * wrong-typed, huge, deeply nested, oddly encoded or legal-but-absurd values, and some raw bytes that are barely
 * JSON or not at all. Request ids are made unique by the caller ({@code %ID%} in the text).
 */
public final class FuzzedRecords {

    static final String ID = "%ID%";

    private FuzzedRecords() {}

    /** One record's value, as text with {@link #ID} where its request id goes. */
    public static Arbitrary<String> values() {
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(8, requestShaped()),
                net.jqwik.api.Tuple.of(1, rawText()),
                net.jqwik.api.Tuple.of(1, nested()));
    }

    /**
     * One control record's value: mostly control-shaped JSON ({@code action}, {@code requestId}, {@code schemaVersion}
     * with drawn values, some left out or doubled), some raw bytes and deep nesting; {@link #ID} where an id goes.
     */
    public static Arbitrary<String> controlValues() {
        List<String> fields = List.of("action", "requestId", "schemaVersion", "unknownField");
        Arbitrary<String> member = Combinators.combine(Arbitraries.of(fields), Arbitraries.frequencyOf(
                        net.jqwik.api.Tuple.of(3, fieldValue()),
                        net.jqwik.api.Tuple.of(1, Arbitraries.of("\"cancel\"", "\"" + ID + "\"", "1", "\"CANCEL\""))))
                .as((name, value) -> "\"" + name + "\":" + value);
        Arbitrary<String> shaped = member.list().ofMaxSize(5).map(m -> "{" + String.join(",", m) + "}");
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(8, shaped),
                net.jqwik.api.Tuple.of(1, rawText()),
                net.jqwik.api.Tuple.of(1, nested()));
    }

    /** A request object whose fields are drawn from {@link #fieldValue}, some fields left out or doubled. */
    static Arbitrary<String> requestShaped() {
        List<String> fields = List.of("requestId", "label", "context", "count", "sampler", "steps", "eta", "guidance",
                "seed", "columns", "trajectory", "deadline", "attributes", "schemaVersion", "events", "layout",
                "unknownField");
        Arbitrary<String> member = Combinators.combine(Arbitraries.of(fields), fieldValue())
                .as((name, value) -> "\"" + name + "\":" + value);
        Arbitrary<String> idMember = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(6, Arbitraries.just("\"requestId\":\"" + ID + "\"")),
                net.jqwik.api.Tuple.of(1, fieldValue().map(v -> "\"requestId\":" + v)),
                net.jqwik.api.Tuple.of(1, Arbitraries.just("")));
        return Combinators.combine(idMember, member.list().ofMaxSize(6))
                .as((id, rest) -> {
                    StringBuilder s = new StringBuilder("{");
                    boolean first = true;
                    if (!id.isEmpty()) {
                        s.append(id);
                        first = false;
                    }
                    for (String m : rest) {
                        s.append(first ? "" : ",").append(m);
                        first = false;
                    }
                    return s.append('}').toString();
                });
    }

    /** A JSON value of any type, biased towards the edges. */
    static Arbitrary<String> fieldValue() {
        return Arbitraries.oneOf(
                numbers(),
                strings().map(FuzzedRecords::quoted),
                dates().map(FuzzedRecords::quoted),
                Arbitraries.of("true", "false", "null", "[]", "{}", "[1,2,3]", "{\"bag\":0.5}", "{\"bag\":2}",
                        "{\"bag\":-1,\"coat\":0.5}", "{\"\":1}", "{\"a\":\"b\"}", "\"ddim\"", "\"ddpm\"", "\"DDIM\"",
                        "\"bag\"", "\"sneaker\"", "\"unicorn\"", "\"grid\"", "\"images\"", "\"both\"", "\"IMAGES\""),
                nested());
    }

    static Arbitrary<String> numbers() {
        return Arbitraries.oneOf(
                Arbitraries.of("0", "-0", "1", "-1", "2147483647", "2147483648", "-2147483649", "9223372036854775807",
                        "9223372036854775808", "-9223372036854775809", "1e308", "1e309", "-1e309", "4.9e-324",
                        "1e-400", "0.5", "1.0", "20", "20.000001", "1E2", "12345678901234567890123456789",
                        "1" + "0".repeat(200), "0." + "0".repeat(300) + "1"),
                Arbitraries.integers().map(String::valueOf),
                Arbitraries.longs().map(String::valueOf),
                Arbitraries.doubles().map(d -> Double.isFinite(d) ? Double.toString(d) : "0"));
    }

    static Arbitrary<String> strings() {
        return Arbitraries.oneOf(
                Arbitraries.strings().all().ofMaxLength(40),
                Arbitraries.strings().withChars('\u0000', '\u001f', '\u007f', '\u202e', '\ud800', '\udfff', '\uffff',
                        '"', '\\', '/', 'a').ofMaxLength(30),
                Arbitraries.of("", " ", "bag", "sneaker", "ddim", "ddpm", "../../etc/passwd", "a/b", "..", ".",
                        "😀😀😀", "\u202eevil", "x".repeat(129), "y".repeat(3000)));
    }

    /** ISO-8601-ish date-times, legal ones far in the past or future among them. */
    static Arbitrary<String> dates() {
        return Arbitraries.of("2030-01-01T12:00:00Z", "+999999999-12-31T23:59:59Z", "-999999999-01-01T00:00:00Z",
                "0000-01-01T00:00:00Z", "1970-01-01T00:00:00Z", "2099-12-31T23:59:59Z", "2100-01-01T00:00:00Z",
                "2026-02-30T00:00:00Z", "2026-12-01T24:00:00Z", "2026-12-01T12:00:00+18:00",
                "2026-12-01T12:00:00-18:00", "2026-12-01T12:00:60Z", "2026-12-01", "12:00", "yesterday",
                "2026-12-01T12:00:00.123456789Z");
    }

    /** Arrays and objects nested up to 40 deep. */
    static Arbitrary<String> nested() {
        return Arbitraries.integers().between(1, 40).map(depth -> {
            StringBuilder s = new StringBuilder();
            for (int i = 0; i < depth; i++) {
                s.append(i % 2 == 0 ? "[" : "{\"k\":");
            }
            s.append("1");
            for (int i = depth - 1; i >= 0; i--) {
                s.append(i % 2 == 0 ? "]" : "}");
            }
            return s.toString();
        });
    }

    /** Text that is not a request object: truncated, empty, another JSON type, binary noise. */
    static Arbitrary<String> rawText() {
        return Arbitraries.oneOf(
                Arbitraries.of("", " ", "{", "}", "{\"requestId\":", "null", "[]", "\"text\"", "42", "{}{}",
                        "{\"requestId\":\"" + ID + "\",\"requestId\":\"" + ID + "\"}", "\u0000\u0001\u0002",
                        "{\"requestId\":\"" + ID + "\"" + ",\"count\":1".repeat(500) + "}"),
                Arbitraries.strings().all().ofMaxLength(60));
    }

    public static byte[] bytes(String value, String id) {
        return value.replace(ID, id).getBytes(StandardCharsets.UTF_8);
    }

    private static String quoted(String s) {
        StringBuilder out = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c < 0x20) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.append('"').toString();
    }
}
