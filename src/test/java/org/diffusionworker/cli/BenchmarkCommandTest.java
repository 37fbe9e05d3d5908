package org.diffusionworker.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code benchmark} end to end at the smallest sizes it takes: what it reports, not how fast
 * (timings belong to its own runs, not to tests).
 */
@Tag("native-memory")
class BenchmarkCommandTest {

    private static final Pattern NUMBER = Pattern.compile("\\d+\\.\\d+ \\(\\d+\\.\\d+-\\d+\\.\\d+\\)");

    @TempDir
    Path temp;

    private static CommandRun benchmark(String... args) {
        return CommandRun.of(new CommandLine(new BenchmarkCommand()), args);
    }

    @Test
    void theJavaBlocksAloneFillTheirColumnsAndMarkTheOthersMissing() throws Exception {
        Path md = temp.resolve("report.md");
        CommandRun r = benchmark("--no-reference", "--configs", "rgb16", "--batches", "1", "--repeats", "1",
                "--ddpm-steps", "1", "--training-steps", "1", "--training-batch", "2", "--threads", "2",
                "--out", md.toString());

        assertEquals(0, r.code(), r.out() + r.err());
        assertEquals(r.out().strip(), Files.readString(md).strip(), "--out holds the report printed");
        assertTrue(r.out().contains("PyTorch reference: skipped (--no-reference)"), r.out());
        assertTrue(r.out().contains("2 intra-op thread(s)"), r.out());
        List<String> sampling = rows(r.out(), "| 16x16x3");
        assertEquals(2, sampling.size(), "DDPM and DDIM at batch 1: " + r.out());
        for (String row : sampling) {
            String[] cells = cells(row);
            assertTrue(NUMBER.matcher(cells[3]).matches(), "Java images/s measured: " + row);
            for (int i = 4; i <= 10; i++) {
                assertEquals("n/a", cells[i], "column " + i + " without a reference: " + row);
            }
        }
        List<String> training = rows(r.out(), "| 28x28x1");
        assertEquals(1, training.size(), r.out());
        assertTrue(NUMBER.matcher(cells(training.get(0))[3]).matches(), training.get(0));
        assertTrue(r.err().contains("training batch 2 repeat 1/1: Java"), "progress on stderr: " + r.err());
    }

    @Test
    void withTheReferenceEverySideIsTimedOnTheSameWeights() {
        assumeTrue(ReferenceProcess.available(), "needs /usr/bin/python3 with torch (Debian's python3-torch)");
        CommandRun r = benchmark("--configs", "rgb16", "--cases", "sampling", "--batches", "1", "--repeats", "1",
                "--ddpm-steps", "1", "--threads", "2");

        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("every reference run reports the same SHA-256 (checked)"), r.out());
        assertTrue(r.out().contains("bf16 units on this CPU: "), r.out());
        List<String> sampling = rows(r.out(), "| 16x16x3");
        assertEquals(2, sampling.size(), r.out());
        for (String row : sampling) {
            String[] cells = cells(row);
            for (int i = 3; i <= 10; i++) {
                assertTrue(NUMBER.matcher(cells[i]).matches(), "column " + i + " measured: " + row);
            }
            assertFalse(cells[11].contains("n/a"), row);
        }
    }

    @Test
    void theBf16FlagsAreReadFromTheCpuFlags() {
        assertEquals("yes (avx512_bf16)", CpuFeatures.bf16("flags\t\t: fpu sse2 avx512f avx512_bf16 avx512vl"));
        assertEquals("yes (avx512_bf16, amx_bf16)", CpuFeatures.bf16("flags : amx_bf16 avx512_bf16"));
        assertEquals("none", CpuFeatures.bf16("flags : fpu sse2 avx2 avx512f"));
        assertEquals("none", CpuFeatures.bf16(""));
    }

    private static List<String> rows(String report, String prefix) {
        return report.lines().filter(l -> l.startsWith(prefix)).toList();
    }

    /** The cells of a markdown row, trimmed; index 0 is the first cell. */
    private static String[] cells(String row) {
        String[] raw = row.substring(1, row.length() - 1).split("\\|");
        for (int i = 0; i < raw.length; i++) {
            raw[i] = raw[i].strip();
        }
        return raw;
    }
}
