package org.diffusionworker.messaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import org.diffusionworker.diffusion.SamplerKind;
import org.diffusionworker.generation.Conditioning;
import org.diffusionworker.worker.ErrorCode;
import org.diffusionworker.worker.GenerationRequest;
import org.diffusionworker.worker.ResultLayout;
import org.diffusionworker.worker.SamplingPreset;
import org.diffusionworker.worker.Priority;
import org.diffusionworker.worker.Scheduling;
import org.junit.jupiter.api.Test;

/** Reading request records: the documented examples, defaults, and every way a record can be wrong. */
class RequestDecoderTest {

    private final RequestDecoder decoder = new RequestDecoder(new ObjectMapper(), 4096);

    private DecodedRequest decode(String json) {
        return decoder.decode(json.getBytes(StandardCharsets.UTF_8), null, null);
    }

    private GenerationRequest valid(String json) {
        return assertInstanceOf(DecodedRequest.Valid.class, decode(json), json).request();
    }

    private DecodedRequest.Refused refused(String json) {
        return assertInstanceOf(DecodedRequest.Refused.class, decode(json), json);
    }

    @Test
    void theFullExampleOfTheDocsIsRead() {
        GenerationRequest r = valid("""
                {"schemaVersion": 1, "requestId": "order-4711-sneakers", "label": "sneaker", "count": 16,
                 "sampler": "ddim", "steps": 25, "eta": 0.0, "guidance": 2.0, "seed": 42, "columns": 4,
                 "trajectory": false, "deadline": "2030-01-01T12:00:00Z",
                 "attributes": {"caller": "shop-frontend", "traceId": "abc123"}, "someFutureField": [1]}""");
        assertEquals("order-4711-sneakers", r.requestId());
        assertEquals(Conditioning.label("sneaker"), r.conditioning());
        assertEquals(25, r.sampling().steps());
        assertEquals(2.0, r.sampling().guidance());
        assertEquals(42L, r.sampling().seed());
        assertEquals(Instant.parse("2030-01-01T12:00:00Z"), r.deadline());
        assertEquals(Map.of("caller", "shop-frontend", "traceId", "abc123"), r.attributes());
    }

    @Test
    void onlyTheIdIsRequiredAndNullMeansAbsent() {
        GenerationRequest r = valid("{\"requestId\": \"any-1\", \"seed\": null}");
        assertEquals(Conditioning.unconditional(), r.conditioning());
        assertEquals(16, r.count());
        assertNull(r.sampling().sampler(), "absent: the worker's preset decides");
        assertNull(r.sampling().steps());
        assertNull(r.sampling().seed());
        assertFalse(r.delivery().trajectory());
    }

    @Test
    void theMultistepSamplersAreReadByTheirIds() {
        assertEquals(SamplerKind.DPMPP_2M, valid("{\"requestId\": \"a\", \"sampler\": \"dpmpp-2m\", \"steps\": 8}")
                .sampling().sampler());
        assertEquals(SamplerKind.UNIPC, valid("{\"requestId\": \"a\", \"sampler\": \"unipc\"}").sampling().sampler());
        String etaWithUnipc = refused("{\"requestId\": \"a\", \"sampler\": \"unipc\", \"eta\": 0.5}").message();
        assertTrue(etaWithUnipc.contains("eta") && etaWithUnipc.contains("unipc"), etaWithUnipc);
        String unknown = refused("{\"requestId\": \"a\", \"sampler\": \"dpm++\"}").message();
        assertTrue(unknown.contains("dpmpp-2m") && unknown.contains("unipc"), unknown);
    }

    @Test
    void aMixedContextIsRead() {
        GenerationRequest r = valid("{\"requestId\": \"mix-1\", \"context\": {\"sneaker\": 0.6, \"bag\": 0.4}}");
        assertEquals(Conditioning.mix(Map.of("sneaker", 0.6, "bag", 0.4)), r.conditioning());
    }

    @Test
    void undecodableRecordsAreRefusedAndDeadLettered() {
        for (String bad : new String[] {"{", "[1]", "\"text\"", "42", "{\"requestId\": \"a\", \"requestId\": \"b\"}"}) {
            DecodedRequest.Refused r = refused(bad);
            assertEquals(ErrorCode.INVALID_REQUEST, r.code(), bad);
            assertTrue(r.deadLetter(), bad);
        }
        DecodedRequest.Refused empty = assertInstanceOf(DecodedRequest.Refused.class,
                decoder.decode(new byte[0], "key-1", null));
        assertEquals("key-1", empty.requestId(), "the key names the request when the body cannot");
        assertTrue(empty.deadLetter());
    }

    @Test
    void presetIsCarriedForTheWorkerToResolveAndExplicitStepsStayAsSent() {
        GenerationRequest fast = valid("{\"requestId\": \"a\", \"preset\": \"fast\"}");
        assertEquals(SamplingPreset.FAST, fast.sampling().preset());
        assertNull(fast.sampling().steps(), "the worker's settings say how many steps fast is");
        GenerationRequest both = valid("{\"requestId\": \"a\", \"preset\": \"fast\", \"steps\": 40}");
        assertEquals(40, both.sampling().steps());
        assertEquals(SamplingPreset.STANDARD,
                valid("{\"requestId\": \"a\", \"preset\": \"standard\"}").sampling().preset());
        assertEquals(SamplingPreset.STANDARD, valid("{\"requestId\": \"a\"}").sampling().preset());
        assertTrue(refused("{\"requestId\": \"a\", \"preset\": \"turbo\"}").message().contains("\"turbo\""));
        assertTrue(refused("{\"requestId\": \"a\", \"preset\": 3}").message().startsWith("preset must be"));
        assertTrue(refused("{\"requestId\": \"a\", \"preset\": \"fast\", \"sampler\": \"ddpm\"}").message()
                .contains("ddpm"));
    }

    @Test
    void priorityAndTenantAreReadAndTheTenantDefaultsToTheRecordHeader() {
        GenerationRequest plain = valid("{\"requestId\": \"a\"}");
        assertEquals(Scheduling.DEFAULT, plain.scheduling());
        GenerationRequest named = valid("{\"requestId\": \"a\", \"priority\": \"high\", \"tenant\": \"shop-1.eu\"}");
        assertEquals(new Scheduling(Priority.HIGH, "shop-1.eu"), named.scheduling());
        DecodedRequest fromHeader = decoder.decode("{\"requestId\": \"a\", \"priority\": \"low\"}"
                .getBytes(StandardCharsets.UTF_8), "a", null, "from-header");
        assertEquals(new Scheduling(Priority.LOW, "from-header"),
                ((DecodedRequest.Valid) fromHeader).request().scheduling());
        DecodedRequest fieldWins = decoder.decode("{\"requestId\": \"a\", \"tenant\": \"field\"}"
                .getBytes(StandardCharsets.UTF_8), "a", null, "header");
        assertEquals("field", ((DecodedRequest.Valid) fieldWins).request().scheduling().tenant());
    }

    @Test
    void aBadPriorityOrTenantIsRefusedSayingWhatIsAllowed() {
        assertTrue(refused("{\"requestId\": \"a\", \"priority\": \"urgent\"}").message()
                .contains("priority must be \"high\", \"normal\" or \"low\""));
        assertTrue(refused("{\"requestId\": \"a\", \"priority\": 1}").message().contains("priority"));
        assertTrue(refused("{\"requestId\": \"a\", \"tenant\": \"a b\"}").message()
                .contains("tenant must be 1..64 characters"));
        assertTrue(refused("{\"requestId\": \"a\", \"tenant\": \"" + "t".repeat(65) + "\"}").message()
                .contains("tenant must be 1..64 characters"));
        assertTrue(refused("{\"requestId\": \"a\", \"tenant\": 7}").message().contains("tenant must be a string"));
        DecodedRequest badHeader = decoder.decode("{\"requestId\": \"a\"}".getBytes(StandardCharsets.UTF_8), "a",
                null, "no spaces");
        assertEquals(ErrorCode.INVALID_REQUEST, ((DecodedRequest.Refused) badHeader).code());
        assertTrue(((DecodedRequest.Refused) badHeader).message().contains("header 'tenant'"));
    }

    @Test
    void layoutIsReadByItsIdsAndDefaultsToGrid() {
        assertEquals(ResultLayout.GRID, valid("{\"requestId\": \"a\"}").delivery().layout());
        assertEquals(ResultLayout.GRID, valid("{\"requestId\": \"a\", \"layout\": null}").delivery().layout(),
                "null: absent");
        assertEquals(ResultLayout.GRID, valid("{\"requestId\": \"a\", \"layout\": \"grid\"}").delivery().layout());
        assertEquals(ResultLayout.IMAGES, valid("{\"requestId\": \"a\", \"layout\": \"images\"}").delivery().layout());
        assertEquals(ResultLayout.BOTH, valid("{\"requestId\": \"a\", \"layout\": \"both\"}").delivery().layout());
    }

    @Test
    void anyOtherLayoutIsRefusedNamingTheField() {
        for (String bad : new String[] {"\"Grid\"", "\"image\"", "\"\"", "\" both\"", "1", "true", "[\"grid\"]",
                "{\"grid\": 1}"}) {
            DecodedRequest.Refused r = refused("{\"requestId\": \"a\", \"layout\": " + bad + "}");
            assertEquals(ErrorCode.INVALID_REQUEST, r.code(), bad);
            assertTrue(r.message().startsWith("layout must be \"grid\", \"images\" or \"both\", got "), r.message());
            assertFalse(r.deadLetter(), "readable: no dead letter");
            assertEquals("a", r.requestId(), "answered under its id");
        }
        assertTrue(refused("{\"requestId\": \"a\", \"layout\": \"tiles\"}").message().endsWith("\"tiles\""));
    }

    @Test
    void wrongTypesAndValuesNameTheField() {
        assertTrue(refused("{\"requestId\": \"a\", \"count\": \"four\"}").message().startsWith("count must be an integer"));
        assertTrue(refused("{\"requestId\": \"a\", \"count\": 1.5}").message().startsWith("count must be an integer"));
        assertTrue(refused("{\"requestId\": \"a\", \"eta\": 2}").message().startsWith("eta must be in [0, 1]"));
        assertTrue(refused("{\"requestId\": \"a\", \"guidance\": 21}").message().startsWith("guidance must be in"));
        assertTrue(refused("{\"requestId\": \"a\", \"sampler\": \"euler\"}").message().contains("\"euler\""));
        assertTrue(refused("{\"requestId\": \"a\", \"deadline\": \"tomorrow\"}").message().contains("ISO-8601"));
        assertTrue(refused("{\"requestId\": \"a\", \"label\": \"x\", \"context\": {\"x\": 1}}").message()
                .contains("not both"));
        assertTrue(refused("{\"requestId\": \"a\", \"context\": {\"x\": 0}}").message().contains("no positive"));
        assertTrue(refused("{\"requestId\": \"a\", \"sampler\": \"ddpm\", \"eta\": 0.5}").message()
                .contains("DDIM only"));
        assertTrue(refused("{\"requestId\": \"no spaces\"}").message().startsWith("request id must be"));
        assertTrue(refused("{\"requestId\": \"a\", \"schemaVersion\": 2}").message().contains("schemaVersion 2"));
        assertFalse(refused("{\"requestId\": \"a\", \"count\": \"four\"}").deadLetter(), "readable: no dead letter");
        assertEquals("a", refused("{\"requestId\": \"a\", \"count\": \"four\"}").requestId());
    }

    @Test
    void oversizedPayloadsAreRefusedUnread() {
        DecodedRequest.Refused r = assertInstanceOf(DecodedRequest.Refused.class,
                decoder.decode(("{\"requestId\":\"big\",\"x\":\"" + "y".repeat(5000) + "\"}")
                        .getBytes(StandardCharsets.UTF_8), "big", null));
        assertEquals(ErrorCode.LIMIT_EXCEEDED, r.code());
        assertEquals("big", r.requestId());
    }

    @Test
    void aKeyOtherThanTheRequestIdIsRefused() {
        DecodedRequest d = decoder.decode("{\"requestId\": \"a\"}".getBytes(StandardCharsets.UTF_8), "b", null);
        DecodedRequest.Refused r = assertInstanceOf(DecodedRequest.Refused.class, d);
        assertEquals(ErrorCode.INVALID_REQUEST, r.code());
        assertTrue(r.message().contains("differs from requestId"));
    }
    @Test
    void extremeValuesAreRefusedAsBadInputNamingTheField() {
        DecodedRequest.Refused farFuture = refused("{\"requestId\": \"d-1\", \"deadline\": \"+999999999-12-31T23:59:59Z\"}");
        assertEquals(ErrorCode.INVALID_REQUEST, farFuture.code());
        assertTrue(farFuture.message().contains("deadline"), farFuture.message());
        DecodedRequest.Refused farPast = refused("{\"requestId\": \"d-2\", \"deadline\": \"-999999999-01-01T00:00:00Z\"}");
        assertTrue(farPast.message().contains("outside"), farPast.message());
        assertEquals(ErrorCode.INVALID_REQUEST, refused("{\"requestId\": \"n-1\", \"count\": " + "9".repeat(80) + "}").code());
        assertEquals(ErrorCode.INVALID_REQUEST, refused("{\"requestId\": \"n-2\", \"guidance\": 1e309}").code());
        DecodedRequest.Refused deep = refused("{\"requestId\": \"n-3\", \"attributes\": " + "[".repeat(50)
                + "]".repeat(50) + "}");
        assertTrue(deep.message().contains("nesting depth"), deep.message());
        DecodedRequest.Refused longLabel = refused("{\"requestId\": \"l-1\", \"label\": \"" + "x".repeat(200) + "\"}");
        assertEquals(ErrorCode.LIMIT_EXCEEDED, longLabel.code());
        StringBuilder many = new StringBuilder("{\"requestId\": \"c-1\", \"context\": {");
        for (int i = 0; i < 70; i++) {
            many.append(i == 0 ? "" : ",").append("\"l").append(i).append("\": 0.01");
        }
        assertEquals(ErrorCode.LIMIT_EXCEEDED, refused(many.append("}}").toString()).code());
    }

    @Test
    void aRefusalKeepsTheOfferedIdForTheEvent() {
        DecodedRequest.Refused bad = refused("{\"requestId\": \"not a valid id\\u0000\", \"count\": 1}");
        assertEquals(null, bad.requestId());
        assertEquals("not a valid id\u0000", bad.offeredId());
        assertEquals("not a valid id\\u0000", RecordOrigin.printable(bad.offeredId()));
        assertEquals(RecordOrigin.MAX_OFFERED_ID_LENGTH + 3, RecordOrigin.printable("z".repeat(500)).length());
    }

    @Test
    void anAbsurdRecordTimeIsIgnoredNotTrusted() {
        GenerationRequest r = assertInstanceOf(DecodedRequest.Valid.class, decoder.decode(
                "{\"requestId\": \"t-1\"}".getBytes(StandardCharsets.UTF_8), null, Instant.ofEpochMilli(Long.MAX_VALUE)))
                .request();
        assertNull(r.submittedAt());
    }
}
