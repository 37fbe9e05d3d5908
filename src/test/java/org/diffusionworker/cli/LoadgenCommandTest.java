package org.diffusionworker.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.diffusionworker.testing.CommandRun;
import org.diffusionworker.testing.EmbeddedInfrastructureResource;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import org.diffusionworker.imaging.ChartFrame;

/**
 * {@code loadgen} against a real worker: the application under {@code @QuarkusTest} runs the worker (its Kafka
 * channels, batcher and inference thread, the random-weight test model) against the embedded Kafka broker and S3
 * server, exactly as {@code EmbeddedWorkerEndToEndTest} does; the command runs through the application's own
 * picocli command line, as {@code diffusion-worker loadgen ...} would, and reaches the worker only through Kafka.
 */
@QuarkusTest
@WithTestResource(value = EmbeddedInfrastructureResource.class, scope = TestResourceScope.RESTRICTED_TO_CLASS)
@Tag("quarkus")
class LoadgenCommandTest {

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    @Inject
    Instance<CommandLine> commandLines;

    @TempDir
    Path temp;

    private CommandRun run(String... args) {
        return CommandRun.of(commandLines.get(), args);
    }

    @Test
    void aBurstOfTwelveSmallRequestsAllCompleteAndTheReportSaysHowItWent() throws Exception {
        Path dir = temp.resolve("burst");
        // Started a little ahead, as several loadgens are started together: nothing goes out before that time.
        long startAt = System.currentTimeMillis() + 3000;
        CommandRun r = run("loadgen", "--bootstrap-servers", bootstrapServers, "--burst", "12", "--counts", "1=0.5,2=0.5",
                "--samplers", "ddim", "--steps", "5", "--label-mix", "sneaker=0.5,*=0.5", "--seed", "7",
                "--timeout", "3m", "--linger", "1s", "--out", dir.toString(), "--start-at", Long.toString(startAt));

        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains(": 12 sent, 12 completed, 0 failed, 0 missing, 0 with duplicate events"), r.out());
        assertTrue(r.err().contains("sent 12/12"), "progress on stderr: " + r.err());
        assertTrue(r.err().contains("loadgen: connected; starting at " + Instant.ofEpochMilli(startAt)), r.err());

        String md = Files.readString(dir.resolve("report.md"));
        assertTrue(md.contains("diffusion-worker loadgen --bootstrap-servers " + bootstrapServers + " --burst 12"), md);
        assertTrue(md.contains("| completed | 12 |"), md);
        assertTrue(md.contains("| missing (sent, no event) | 0 |"), md);
        assertTrue(md.contains("| more than one event (duplicates) | 0 |"), md);
        Matcher throughput = Pattern.compile("\\| completed requests/s \\| (\\d+\\.\\d+) \\|").matcher(md);
        assertTrue(throughput.find(), "throughput row: " + md);
        assertTrue(Double.parseDouble(throughput.group(1)) > 0, md);
        Matcher p50 = Pattern.compile("\\| produce to event, completed \\| 12 \\| (\\d+) \\|").matcher(md);
        assertTrue(p50.find(), "p50 row: " + md);
        assertTrue(Long.parseLong(p50.group(1)) > 0, md);
        assertTrue(md.contains("| worker `endToEndMs` | 12 |"), "the worker's own timings: " + md);
        assertTrue(md.contains("| images per batch | batches (estimated) |"), "batch sizes from the events: " + md);

        List<String> events = Files.readAllLines(dir.resolve("events.csv"));
        assertEquals(13, events.size(), "a header and 12 rows: " + events);
        List<String> ids = new ArrayList<>();
        for (String row : events.subList(1, events.size())) {
            String[] cells = row.split(",", -1);
            ids.add(cells[0]);
            assertTrue(cells[0].matches("loadgen-[0-9a-f]{8}-\\d+"), row);
            assertTrue(cells[2].equals("1") || cells[2].equals("2"), "count 1 or 2: " + row);
            assertTrue(Long.parseLong(cells[5]) >= startAt, "sent at or after --start-at " + startAt + ": " + row);
            assertEquals("ddim", cells[3], row);
            assertEquals("5", cells[4], "the steps the worker reports: " + row);
            assertTrue(Double.parseDouble(cells[7]) > 0, "latency: " + row);
            assertEquals("COMPLETED", cells[8], row);
            assertFalse(cells[10].isEmpty(), "queuedMs: " + row);
            assertFalse(cells[11].isEmpty(), "samplingMs: " + row);
            assertEquals("1", cells[16], "one event: " + row);
        }
        assertEquals(12, ids.stream().distinct().count());

        List<String> lag = Files.readAllLines(dir.resolve("lag.csv"));
        assertTrue(lag.size() >= 2, "at least one lag sample: " + lag);
        for (String png : List.of("latency-over-time.png", "lag-over-time.png", "latency-histogram.png")) {
            BufferedImage image = ImageIO.read(dir.resolve(png).toFile());
            assertEquals(ChartFrame.WIDTH, image.getWidth(), png);
        }
    }

    @Test
    void brokersOffThisMachineAreRefusedWithoutAllowRemote() {
        Path dir = temp.resolve("remote");
        CommandRun r = run("loadgen", "--bootstrap-servers", "10.1.2.3:9092", "--burst", "1", "--out", dir.toString());
        assertEquals(CommandLineSetup.USAGE_ERROR, r.code(), r.err());
        assertTrue(r.err().contains("loadgen sends to loopback brokers only (localhost, 127.0.0.0/8, ::1); not"
                + " loopback: 10.1.2.3:9092. Add --allow-remote to load a remote cluster on purpose"), r.err());
        assertFalse(Files.exists(dir), "nothing written");
    }

    @Test
    void badOptionsAreRefusedWithTheirMessage() {
        String loopback = "127.0.0.1:9";
        assertRefused("--counts: the proportions sum to 0.0; at least one must be > 0",
                "--bootstrap-servers", loopback, "--burst", "3", "--counts", "1=0,4=0");
        assertRefused("--samplers: unknown sampler 'euler'; the worker knows ddpm, ddim, dpmpp-2m, unipc",
                "--bootstrap-servers", loopback, "--burst", "3", "--samplers", "euler");
        assertRefused("say how much load: --rate R with --duration D or --requests N, or --burst N",
                "--bootstrap-servers", loopback);
        assertRefused("--rate needs exactly one of --duration D and --requests N",
                "--bootstrap-servers", loopback, "--rate", "5", "--duration", "10s", "--requests", "50");
        assertRefused("a run sends 1..100000 requests; this one would send 200000",
                "--bootstrap-servers", loopback, "--burst", "200000");
        assertRefused("a run lasts at most 1h; 7200 requests at this rate take 7199 s",
                "--bootstrap-servers", loopback, "--rate", "1", "--requests", "7200");
        assertRefused("--start-at must be an ISO-8601 instant (e.g. 2026-12-07T21:00:00Z) or epoch milliseconds,"
                + " got 'tomorrow'", "--bootstrap-servers", loopback, "--burst", "1", "--start-at", "tomorrow");
        assertRefused("--start-at must be at most 1h ahead, got 2999-01-01T00:00:00Z",
                "--bootstrap-servers", loopback, "--burst", "1", "--start-at", "2999-01-01T00:00:00Z");
    }

    private void assertRefused(String message, String... args) {
        String[] full = new String[args.length + 1];
        full[0] = "loadgen";
        System.arraycopy(args, 0, full, 1, args.length);
        CommandRun r = run(full);
        assertEquals(CommandLineSetup.USAGE_ERROR, r.code(), r.err());
        assertTrue(r.err().contains("error: " + message), "expected '" + message + "' in: " + r.err());
    }
}
