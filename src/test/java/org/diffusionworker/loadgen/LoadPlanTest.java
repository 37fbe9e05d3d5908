package org.diffusionworker.loadgen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class LoadPlanTest {

    private static final List<String> LABELS = LoadPlan.FASHION_MNIST_LABELS;
    private static final int DRAWS = 10_000;

    private static LoadPlan plan(Proportions<String> labels, String counts, String samplers, long seed, int n) {
        return new LoadPlan(labels, LoadPlan.counts(counts), LoadPlan.samplers(samplers), 5, null, null, seed,
                LoadPlan.Pacing.burst(n));
    }

    /** Each value's observed share among the requests. */
    private static <T> Map<T, Double> shares(List<LoadRequest> requests, Function<LoadRequest, T> key) {
        Map<T, Double> shares = new HashMap<>();
        requests.forEach(r -> shares.merge(key.apply(r), 1.0 / requests.size(), Double::sum));
        return shares;
    }

    private static void assertShare(double expected, Double observed, String what) {
        double actual = observed == null ? 0 : observed;
        assertTrue(Math.abs(expected - actual) <= 0.02, what + ": expected " + expected + " +- 0.02, got " + actual);
    }

    @Test
    void tenThousandDrawsFollowTheProportionsWithinTwoPercent() {
        LoadPlan plan = plan(LoadPlan.labelMix("sneaker=0.8,*=0.2", LABELS), "1=0.5,4=0.3,16=0.2",
                "ddim=0.9,ddpm=0.1", 7, DRAWS);
        List<LoadRequest> requests = plan.requests("test");
        assertEquals(DRAWS, requests.size());

        Map<Integer, Double> counts = shares(requests, LoadRequest::count);
        assertShare(0.5, counts.get(1), "count 1");
        assertShare(0.3, counts.get(4), "count 4");
        assertShare(0.2, counts.get(16), "count 16");
        assertEquals(3, counts.size(), "only the counts named");

        Map<String, Double> samplers = shares(requests, LoadRequest::sampler);
        assertShare(0.9, samplers.get("ddim"), "ddim");
        assertShare(0.1, samplers.get("ddpm"), "ddpm");

        Map<String, Double> labels = shares(requests, LoadRequest::label);
        assertShare(0.8, labels.get("sneaker"), "sneaker");
        for (String other : LABELS) {
            if (!other.equals("sneaker")) {
                assertShare(0.2 / 9, labels.get(other), other);
            }
        }
    }

    @Test
    void theSameSeedGivesTheSameRequestsAndIdsAreUniquePerRun() {
        Proportions<String> labels = LoadPlan.labelList(List.of("sneaker", "bag"), LABELS);
        List<LoadRequest> a = plan(labels, "1=0.5,2=0.5", "ddim=0.5,ddpm=0.5", 42, 200).requests("r1");
        List<LoadRequest> b = plan(labels, "1=0.5,2=0.5", "ddim=0.5,ddpm=0.5", 42, 200).requests("r1");
        List<LoadRequest> c = plan(labels, "1=0.5,2=0.5", "ddim=0.5,ddpm=0.5", 43, 200).requests("r1");
        assertEquals(a, b);
        assertTrue(!a.equals(c), "another seed, another mix");
        assertEquals(200, new HashSet<>(a.stream().map(LoadRequest::id).toList()).size());
        assertEquals("loadgen-r1-1", a.get(0).id());
        assertEquals("loadgen-r1-200", a.get(199).id());
        for (LoadRequest r : a) {
            assertTrue(r.label().equals("sneaker") || r.label().equals("bag"));
            if (r.sampler().equals("ddpm")) {
                assertNull(r.steps(), "DDPM requests name no steps: the worker refuses them otherwise");
            } else {
                assertEquals(5, r.steps());
            }
        }
    }

    @Test
    void theRequestJsonFollowsTheContract() throws Exception {
        LoadRequest r = new LoadRequest(3, "loadgen-abc-3", "t-shirt/top", 4, "ddim", 25, 2.0, "images", 99);
        JsonNode json = new ObjectMapper().readTree(r.json(new ObjectMapper(), "abc",
                Instant.parse("2030-01-01T00:00:00Z")));
        assertEquals(1, json.path("schemaVersion").asInt());
        assertEquals("loadgen-abc-3", json.path("requestId").asText());
        assertEquals("t-shirt/top", json.path("label").asText());
        assertEquals(4, json.path("count").asInt());
        assertEquals("ddim", json.path("sampler").asText());
        assertEquals(25, json.path("steps").asInt());
        assertEquals(2.0, json.path("guidance").asDouble());
        assertEquals(99, json.path("seed").asLong());
        assertEquals("images", json.path("layout").asText());
        assertEquals("2030-01-01T00:00:00Z", json.path("attributes").path("submittedAt").asText());
        JsonNode ddpm = new ObjectMapper().readTree(new LoadRequest(1, "loadgen-abc-1", "bag", 1, "ddpm", null, null,
                null, 1).json(new ObjectMapper(), "abc", Instant.EPOCH));
        assertTrue(ddpm.path("steps").isMissingNode());
        assertTrue(ddpm.path("guidance").isMissingNode());
        assertTrue(ddpm.path("layout").isMissingNode(), "the default, left to the worker");
    }

    @Test
    void tenantAndPriorityMixesAreDrawnAndSentOnlyWhenAsked() throws Exception {
        LoadPlan.Pacing pacing = LoadPlan.Pacing.burst(400);
        LoadPlan mixed = new LoadPlan(LoadPlan.labelList(List.of("bag"), LABELS), LoadPlan.counts("4"),
                LoadPlan.samplers("ddim"), 5, null, null, 9, pacing, LoadPlan.tenants("a=3,b=1"),
                LoadPlan.priorities("high=1,low=1"));
        List<LoadRequest> requests = mixed.requests("r");
        long a = requests.stream().filter(r -> r.tenant().equals("a")).count();
        long high = requests.stream().filter(r -> r.priority().equals("high")).count();
        assertTrue(a > 260 && a < 340, "about 3 in 4 of 400 are a's: " + a);
        assertTrue(high > 160 && high < 240, "about half are high: " + high);
        JsonNode json = new ObjectMapper().readTree(requests.get(0).json(new ObjectMapper(), "r", Instant.EPOCH));
        assertEquals(requests.get(0).tenant(), json.path("tenant").asText());
        assertEquals(requests.get(0).priority(), json.path("priority").asText());

        LoadPlan plain = new LoadPlan(LoadPlan.labelList(List.of("bag"), LABELS), LoadPlan.counts("4"),
                LoadPlan.samplers("ddim"), 5, null, null, 9, pacing);
        JsonNode none = new ObjectMapper().readTree(plain.requests("r").get(0).json(new ObjectMapper(), "r",
                Instant.EPOCH));
        assertTrue(none.path("tenant").isMissingNode() && none.path("priority").isMissingNode());
        assertMessage("--priorities: 'urgent' is not a priority; use \"high\", \"normal\" or \"low\"",
                () -> LoadPlan.priorities("urgent=1"));
        assertThrows(IllegalArgumentException.class, () -> LoadPlan.tenants("a b=1"));
    }

    @Test
    void theStarSpreadsOverTheLabelsNotNamed() {
        Map<String, Double> shares = LoadPlan.labelMix("sneaker=3,bag=1,*=0", LABELS).shares();
        assertEquals(0.75, shares.get("sneaker"), 1e-12);
        assertEquals(0.25, shares.get("bag"), 1e-12);
        assertEquals(0.0, shares.get("coat"), 1e-12);
        Map<String, Double> rest = LoadPlan.labelMix("*=1", List.of("a", "b", "c", "d")).shares();
        rest.values().forEach(s -> assertEquals(0.25, s, 1e-12));
    }

    @Test
    void badMixesAreRefusedWithTheOptionNamed() {
        assertMessage("--counts: the proportions sum to 0.0; at least one must be > 0",
                () -> LoadPlan.counts("1=0,4=0"));
        assertMessage("--counts: image counts are 1..4096, got 0", () -> LoadPlan.counts("0=1"));
        assertMessage("--counts: 'four' is not an image count; write e.g. 1=0.5,4=0.3,16=0.2",
                () -> LoadPlan.counts("four=1"));
        assertMessage("--counts: the weight of '4' must be a finite number >= 0, got -1.0",
                () -> LoadPlan.counts("1=1,4=-1"));
        assertMessage("--counts: the weight of '4' is not a number: 'lots'", () -> LoadPlan.counts("4=lots"));
        assertMessage("--counts names '4' twice", () -> LoadPlan.counts("4=1,4=2"));
        assertMessage("--samplers: unknown sampler 'euler'; the worker knows ddpm, ddim, dpmpp-2m, unipc",
                () -> LoadPlan.samplers("ddim=0.5,euler=0.5"));
        assertMessage("--label-mix: 'unicorn' is not one of --all-labels (t-shirt/top, trouser, pullover, dress, coat,"
                + " sandal, shirt, sneaker, bag, ankle-boot); add it there to send it anyway",
                () -> LoadPlan.labelMix("unicorn=1", LABELS));
        assertMessage("--label-mix: '*' would spread 0.5 over the other labels, but the mix names all of --all-labels"
                + " already", () -> LoadPlan.labelMix("a=1,b=1,*=0.5", List.of("a", "b")));
        assertMessage("--labels names 'bag' twice", () -> LoadPlan.labelList(List.of("bag", "bag"), LABELS));
        assertMessage("--layout must be grid, images or both, got 'tiles'", () -> new LoadPlan(
                LoadPlan.labelList(LABELS, LABELS), LoadPlan.counts("4"), LoadPlan.samplers("ddim"), 5, null, "tiles",
                1, LoadPlan.Pacing.burst(1)));
    }

    @Test
    void pacingIsBoundedToOneHundredThousandRequestsAndOneHour() {
        LoadPlan.Pacing steady = LoadPlan.Pacing.steady(2, Duration.ofSeconds(60));
        assertEquals(120, steady.requests());
        assertEquals(500_000_000L, steady.intervalNanos());
        assertEquals(2.0, steady.rate(), 1e-9);
        LoadPlan.Pacing counted = LoadPlan.Pacing.steady(4, 10);
        assertEquals(10, counted.requests());
        assertEquals(250_000_000L, counted.intervalNanos());
        assertTrue(LoadPlan.Pacing.burst(12).isBurst());

        assertMessage("a run sends 1..100000 requests; this one would send 100001",
                () -> LoadPlan.Pacing.burst(100_001));
        assertMessage("--rate 1000 for 2m is 120000 requests; a run sends at most 100000",
                () -> LoadPlan.Pacing.steady(1000, Duration.ofMinutes(2)));
        assertMessage("--duration is at most 1h, got 2h", () -> LoadPlan.Pacing.steady(1, Duration.ofHours(2)));
        assertMessage("a run lasts at most 1h; 4000 requests at this rate take 3999 s",
                () -> LoadPlan.Pacing.steady(1, 4000));
        assertMessage("--rate must be > 0 and at most 10000 requests/s, got 0", () -> LoadPlan.Pacing.steady(0, 5));
    }

    @Test
    void onlyLoopbackBrokersUnlessAllowed() {
        Loopback.require("localhost:9092,127.0.0.1:9093,[::1]:9094,127.1.2.3:1", false);
        assertMessage("loadgen sends to loopback brokers only (localhost, 127.0.0.0/8, ::1); not loopback:"
                + " kafka:9092, 10.0.0.7:9092. Add --allow-remote to load a remote cluster on purpose",
                () -> Loopback.require("127.0.0.1:9092,kafka:9092,10.0.0.7:9092", false));
        assertMessage("loadgen sends to loopback brokers only (localhost, 127.0.0.0/8, ::1); not loopback:"
                + " 128.0.0.1:9092. Add --allow-remote to load a remote cluster on purpose",
                () -> Loopback.require("128.0.0.1:9092", false));
        Loopback.require("kafka:9092", true);
        assertEquals("::1", Loopback.host("[::1]:9092"));
        assertEquals("localhost", Loopback.host("SASL_SSL://localhost:9093"));
    }

    private static void assertMessage(String expected, Runnable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call::run);
        assertEquals(expected, e.getMessage());
    }
}
