package org.diffusionworker.messaging;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.diffusionworker.testing.FuzzedRecords;
import org.diffusionworker.worker.GenerationRequest;

/**
 * The decoder never throws, whatever the record: every generated value ends as a valid request within its bounds or
 * as a refusal with a code and a short, printable message (thousands of records per build).
 */
class RequestDecoderPropertiesTest {

    private final RequestDecoder decoder = new RequestDecoder(new ObjectMapper(), 4096);

    @Provide
    Arbitrary<String> records() {
        return FuzzedRecords.values();
    }

    @Property(tries = 4000)
    void everyRecordIsDecodedOrRefusedNeverThrown(@ForAll("records") String value) {
        DecodedRequest decoded = decoder.decode(FuzzedRecords.bytes(value, "fz-1"), null, Instant.now());
        assertNotNull(decoded);
        if (decoded instanceof DecodedRequest.Refused refused) {
            assertNotNull(refused.code());
            assertFalse(refused.message().isBlank());
            assertTrue(refused.message().length() < 1000, refused.message());
            assertTrue(refused.message().chars().noneMatch(Character::isISOControl), refused.message());
        } else {
            GenerationRequest r = ((DecodedRequest.Valid) decoded).request();
            assertTrue(r.count() >= 1);
            assertNotNull(r.delivery().layout(), "grid when absent");
            assertTrue(r.sampling().eta() >= 0 && r.sampling().eta() <= 1 && r.sampling().guidance() >= 0
                    && r.sampling().guidance() <= 20);
            assertTrue(r.deadline() == null || (r.deadline().isAfter(RequestDecoder.EARLIEST.minusNanos(1))
                    && r.deadline().isBefore(RequestDecoder.LATEST)), String.valueOf(r.deadline()));
        }
    }

    @Property(tries = 1000)
    void aKeyOfAnyShapeNeverBreaksDecoding(@ForAll("records") String value, @ForAll String key) {
        assertNotNull(decoder.decode(FuzzedRecords.bytes(value, "fz-2"), key, null));
    }
}
