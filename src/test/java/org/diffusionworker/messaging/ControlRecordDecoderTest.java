package org.diffusionworker.messaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.diffusionworker.testing.FuzzedRecords;
import org.junit.jupiter.api.Test;

/** Control records: a cancel is read exactly as documented, and nothing else can make the decoder throw. */
class ControlRecordDecoderTest {

    private final ControlRecordDecoder decoder = new ControlRecordDecoder(new ObjectMapper());

    private ControlRecordDecoder.Decoded decode(String value, String key) {
        return decoder.decode(value == null ? null : value.getBytes(StandardCharsets.UTF_8), key);
    }

    @Test
    void aCancelIsRead() {
        ControlRecordDecoder.Cancel cancel = assertInstanceOf(ControlRecordDecoder.Cancel.class,
                decode("{\"schemaVersion\":1,\"action\":\"cancel\",\"requestId\":\"r-1\"}", "r-1"));
        assertEquals("r-1", cancel.requestId());
        assertInstanceOf(ControlRecordDecoder.Cancel.class, decode("{\"action\":\"cancel\",\"requestId\":\"r-1\"}", null),
                "schemaVersion and the key may be left out");
    }

    @Test
    void everyWayACancelCanBeWrongIsNamed() {
        String[][] cases = {
                {null, "no value"},
                {"", "no value"},
                {"not json", "not valid JSON"},
                {"[1]", "JSON object"},
                {"{\"requestId\":\"r-1\"}", "action is missing"},
                {"{\"action\":\"pause\",\"requestId\":\"r-1\"}", "'pause' is not known"},
                {"{\"action\":\"cancel\"}", "requestId is missing"},
                {"{\"action\":\"cancel\",\"requestId\":\"a/b\"}", "not a valid request id"},
                {"{\"schemaVersion\":2,\"action\":\"cancel\",\"requestId\":\"r-1\"}", "schemaVersion must be 1"},
                {"{\"action\":\"cancel\",\"action\":\"cancel\",\"requestId\":\"r-1\"}", "not valid JSON"},
        };
        for (String[] c : cases) {
            ControlRecordDecoder.Invalid invalid = assertInstanceOf(ControlRecordDecoder.Invalid.class,
                    decode(c[0], null), String.valueOf(c[0]));
            assertTrue(invalid.reason().contains(c[1]), c[0] + ": " + invalid.reason());
        }
        ControlRecordDecoder.Invalid other = assertInstanceOf(ControlRecordDecoder.Invalid.class,
                decode("{\"action\":\"cancel\",\"requestId\":\"r-1\"}", "r-2"));
        assertTrue(other.reason().contains("differs"), other.reason());
        assertInstanceOf(ControlRecordDecoder.Invalid.class, decoder.decode(new byte[ControlRecordDecoder.MAX_BYTES + 1],
                "r-1"));
    }

    @Provide
    Arbitrary<String> records() {
        return FuzzedRecords.controlValues();
    }

    @Property(tries = 3000)
    void everyRecordIsReadOrNamedInvalidNeverThrown(@ForAll("records") String value, @ForAll String key) {
        ControlRecordDecoder.Decoded decoded = decoder.decode(FuzzedRecords.bytes(value, "fz-1"), key);
        assertNotNull(decoded);
        if (decoded instanceof ControlRecordDecoder.Invalid invalid) {
            assertFalse(invalid.reason().isBlank());
            assertTrue(invalid.reason().length() < 300, invalid.reason());
            assertTrue(invalid.reason().chars().noneMatch(Character::isISOControl), invalid.reason());
        } else {
            assertNotNull(RequestDecoder.validIdOrNull(((ControlRecordDecoder.Cancel) decoded).requestId()));
        }
    }
}
