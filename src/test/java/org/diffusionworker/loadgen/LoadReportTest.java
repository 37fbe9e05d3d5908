package org.diffusionworker.loadgen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.diffusionworker.imaging.ChartFrame;

/** The report's figures from hand-made results, where every number is known. */
class LoadReportTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path temp;

    private static ObjectNode completed(int images, int batchImages, int batchRequests, long queued) {
        ObjectNode e = JSON.createObjectNode().put("status", "COMPLETED");
        e.putObject("image").put("count", images);
        e.putObject("parameters").put("steps", 5);
        e.putObject("timings").put("queuedMs", queued).put("samplingMs", 200).put("uploadMs", 30)
                .put("endToEndMs", queued + 250);
        e.putArray("batches").addObject().put("images", batchImages).put("requests", batchRequests)
                .put("ownImages", images);
        return e;
    }

    private static ObjectNode failed(String code) {
        ObjectNode e = JSON.createObjectNode().put("status", "FAILED");
        e.putObject("error").put("code", code).put("message", "no");
        return e;
    }

    /**
     * Ten requests sent 100 ms apart: 1..6 completed (1-4 sharing one batch of 8 images, 5-6 one of 4), 7 failed, 8
     * answered twice, 9 unanswered, 10 not sent (send error). Latency of request n is 1000 + 100 n ms.
     */
    private static LoadResults results() {
        List<LoadResults.Entry> entries = new ArrayList<>();
        for (int n = 1; n <= 10; n++) {
            LoadRequest r = new LoadRequest(n, "loadgen-t-" + n, n % 2 == 0 ? "bag" : "sneaker", 2, "ddim", 5,
                    null, null, n);
            double sent = (n - 1) * 100.0;
            double at = sent + 1000 + 100 * n;
            List<LoadResults.Arrival> events = new ArrayList<>();
            if (n <= 4) {
                events.add(new LoadResults.Arrival(at, completed(2, 8, 4, 10 * n)));
            } else if (n <= 6) {
                events.add(new LoadResults.Arrival(at, completed(2, 4, 2, 10 * n)));
            } else if (n == 7) {
                events.add(new LoadResults.Arrival(at, failed("UNKNOWN_LABEL")));
            } else if (n == 8) {
                events.add(new LoadResults.Arrival(at, completed(2, 2, 1, 80)));
                events.add(new LoadResults.Arrival(at + 500, completed(2, 2, 1, 80)));
            }
            entries.add(new LoadResults.Entry(r, sent, n == 10 ? "TimeoutException" : null, events));
        }
        List<LoadResults.LagSample> lag = List.of(new LoadResults.LagSample(0, 0, 0, 0),
                new LoadResults.LagSample(1000, 7, 10, 0), new LoadResults.LagSample(2000, -1, 10, 3),
                new LoadResults.LagSample(3000, 1, 10, 8));
        return new LoadResults("t", 1_700_000_000_000L, entries, lag, "timeout");
    }

    private static LoadReport report() {
        LoadPlan plan = new LoadPlan(LoadPlan.labelList(List.of("sneaker", "bag"), LoadPlan.FASHION_MNIST_LABELS),
                LoadPlan.counts("2"), LoadPlan.samplers("ddim"), 5, null, null, 1, LoadPlan.Pacing.steady(10, 10));
        LoadRun.Settings settings = new LoadRun.Settings("127.0.0.1:9092", "generation-requests", "generation-events",
                "diffusion-worker", Duration.ofSeconds(5), Duration.ofSeconds(1), null);
        return new LoadReport(results(), plan, settings, "diffusion-worker loadgen --rate 10 --requests 10");
    }

    @Test
    void countsOutcomesThroughputAndPercentiles() {
        LoadReport r = report();
        assertEquals(10, r.planned);
        assertEquals(9, r.sent);
        assertEquals(1, r.sendErrors);
        assertEquals(7, r.completed);
        assertEquals(1, r.failed);
        assertEquals(1, r.failedByCode.get("UNKNOWN_LABEL"));
        assertEquals(1, r.missing);
        assertEquals(1, r.duplicates);
        assertEquals(14, r.completedImages);
        // First send at 0, last first event: request 8 at 700 + 1800 ms.
        assertEquals(2.5, r.spanSeconds(), 1e-9);
        assertEquals(7 / 2.5, r.completedPerSecond(), 1e-9);
        assertEquals(14 / 2.5, r.imagesPerSecond(), 1e-9);
        // Completed latencies 1100..1600 and 1800: nearest rank.
        assertEquals(7, r.latencyCompleted.n());
        assertEquals(1400, r.latencyCompleted.p50(), 1e-9);
        assertEquals(1800, r.latencyCompleted.p90(), 1e-9);
        assertEquals(1800, r.latencyCompleted.max(), 1e-9);
        assertEquals(1700, r.latencyFailed.p50(), 1e-9);
        assertEquals(40, r.workerTimings.get("queuedMs").p50(), 1e-9);
        assertEquals(7, r.maxLag);
        assertEquals(1, r.endLag);
    }

    @Test
    void batchesSharedByKRequestsCountOnce() {
        List<LoadReport.BatchSize> sizes = report().batchSizes;
        assertEquals(3, sizes.size());
        assertEquals(new LoadReport.BatchSize(2, 1, 1), sizes.get(0));
        assertEquals(new LoadReport.BatchSize(4, 1, 2), sizes.get(1));
        assertEquals(new LoadReport.BatchSize(8, 1, 4), sizes.get(2));
        assertEquals(4.0, sizes.get(2).meanRequests(), 1e-9);
    }

    @Test
    void percentilesAreNearestRank() {
        double[] hundred = new double[100];
        for (int i = 0; i < 100; i++) {
            hundred[i] = i + 1;
        }
        assertEquals(50, LoadReport.Stats.percentile(hundred, 50));
        assertEquals(99, LoadReport.Stats.percentile(hundred, 99));
        assertEquals(7, LoadReport.Stats.percentile(new double[] {7}, 99));
        assertEquals(0, LoadReport.Stats.of(new double[0]).n());
    }

    @Test
    void writesTheMarkdownTheCsvFilesAndThePlots() throws Exception {
        LoadReport r = report();
        r.write(temp);
        String md = Files.readString(temp.resolve(LoadReport.REPORT));
        assertTrue(md.contains("diffusion-worker loadgen --rate 10 --requests 10"), md);
        assertTrue(md.contains("| completed requests/s | 2.80 |"), md);
        assertTrue(md.contains("| produce to event, completed | 7 | 1400 | 1800 | 1800 | 1800 | 1414 |"), md);
        assertTrue(md.contains("| failed `UNKNOWN_LABEL` | 1 |"), md);
        assertTrue(md.contains("| more than one event (duplicates) | 1 |"), md);
        assertTrue(md.contains("| 8 | 1.0 | 4 | 4.00 |"), md);

        List<String> events = Files.readAllLines(temp.resolve(LoadReport.EVENTS_CSV));
        assertEquals(11, events.size());
        assertTrue(events.get(0).endsWith(",events,tenant,priority,batches"), events.get(0));
        assertEquals("loadgen-t-1,sneaker,2,ddim,5,1700000000000,1700000001100,1100.0,COMPLETED,,10,200,30,260,8,4,1,,,1",
                events.get(1), "no tenant or priority named; one batch");
        assertTrue(events.get(7).contains(",FAILED,UNKNOWN_LABEL,"), events.get(7));
        assertTrue(events.get(8).contains(",2,,,"), "two events: " + events.get(8));
        assertTrue(events.get(9).contains(",MISSING,"), events.get(9));
        assertTrue(events.get(10).contains(",SEND_ERROR,"), events.get(10));

        List<String> lag = Files.readAllLines(temp.resolve(LoadReport.LAG_CSV));
        assertEquals("seconds,epoch_ms,lag,sent,answered", lag.get(0));
        assertEquals("2.000,1700000002000,,10,3", lag.get(3));

        for (String png : List.of(LoadReport.LATENCY_PLOT, LoadReport.LAG_PLOT, LoadReport.HISTOGRAM_PLOT)) {
            BufferedImage image = ImageIO.read(temp.resolve(png).toFile());
            assertEquals(ChartFrame.WIDTH, image.getWidth(), png);
            assertEquals(ChartFrame.HEIGHT, image.getHeight(), png);
        }
    }

    @Test
    void latencyIsReportedPerTenantAndPriorityWhenTheRequestsNamedThem() {
        List<LoadResults.Entry> entries = new ArrayList<>();
        for (int n = 1; n <= 20; n++) {
            String tenant = n <= 10 ? "a" : "b";
            LoadRequest r = new LoadRequest(n, "loadgen-t-" + n, "bag", 2, "ddim", 5, null, null, n, tenant,
                    n == 20 ? "high" : null);
            // a's latencies 1100..2000 ms, b's 100..1000 ms (the high one 1000 ms).
            double latency = n <= 10 ? 1000 + 100 * n : 100 * (n - 10);
            entries.add(new LoadResults.Entry(r, 0, null,
                    List.of(new LoadResults.Arrival(latency, completed(2, 4, 2, 10)))));
        }
        LoadPlan plan = new LoadPlan(LoadPlan.labelList(List.of("bag"), LoadPlan.FASHION_MNIST_LABELS),
                LoadPlan.counts("2"), LoadPlan.samplers("ddim"), 5, null, null, 1, LoadPlan.Pacing.burst(20),
                LoadPlan.tenants("a=1,b=1"), null);
        LoadRun.Settings settings = new LoadRun.Settings("127.0.0.1:9092", "generation-requests", "generation-events",
                "diffusion-worker", Duration.ofSeconds(5), Duration.ofSeconds(1), null);
        String md = new LoadReport(new LoadResults("t", 1_700_000_000_000L, entries, List.of(), "done"), plan,
                settings, "loadgen").markdown();
        assertTrue(md.contains("| a | (none) | 10 | 1500 | 2000 | 2000 |"), md);
        assertTrue(md.contains("| b | (none) | 9 | 500 | 900 | 900 |"), md);
        assertTrue(md.contains("| b | high | 1 | 1000 | 1000 | 1000 |"), md);
    }
}
