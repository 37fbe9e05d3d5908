package org.diffusionworker.cli;

import static org.diffusionworker.benchmark.BenchmarkRun.bf16Skipped;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.diffusionworker.testing.CommandRun;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.diffusionworker.benchmark.BenchmarkRun;
import org.diffusionworker.benchmark.BenchmarkRun.Bf16Column;
import org.diffusionworker.model.CpuFeatures;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code benchmark} end to end at the smallest sizes it takes: what it reports, not how fast
 * (timings belong to its own runs, not to tests).
 */
@Tag("native-memory")
class BenchmarkCommandTest {

    /** The bf16 columns of a sampling row (cells from 0): images/s and the ratio to PyTorch. */
    private static final int BF16 = 6;
    private static final int BF16_RATIO = 12;
    /** The last ratio column; after it, GFLOP/s of every side. */
    private static final int LAST_RATIO = 12;
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
            for (int i = 4; i <= LAST_RATIO; i++) {
                assertEquals("n/a", cells[i], "column " + i + " without a reference: " + row);
            }
        }
        List<String> training = rows(r.out(), "| 28x28x1");
        assertEquals(2, training.size(), "one training row per Java precision: " + r.out());
        assertTrue(training.get(0).contains("Java fp32, PyTorch fp32"), training.get(0));
        assertTrue(training.get(1).contains("Java bf16, PyTorch fp32"), training.get(1));
        for (String row : training) {
            assertTrue(NUMBER.matcher(cells(row)[3]).matches(), "Java images/s measured: " + row);
            assertEquals("n/a", cells(row)[4], "no reference: " + row);
        }
        assertTrue(r.err().contains("training batch 2 repeat 1/1: Java fp32 "), "progress on stderr: " + r.err());
        assertTrue(r.err().contains(", Java bf16 "), "progress on stderr: " + r.err());
    }

    @Test
    void anUnknownTrainingPrecisionIsRefusedByName() {
        CommandRun r = benchmark("--no-reference", "--cases", "training", "--training-precisions", "fp32,fp16");

        assertNotEquals(0, r.code(), r.out());
        assertTrue(r.err().contains("--training-precisions must be one of fp32, bf16, got 'fp16'"), r.err());
    }

    @Test
    void withTheReferenceEverySideIsTimedOnTheSameWeights() {
        assumeTrue(BenchmarkRun.referenceAvailable(), "needs /usr/bin/python3 with torch (Debian's python3-torch)");
        CommandRun r = benchmark("--configs", "rgb16", "--cases", "sampling", "--batches", "1", "--repeats", "1",
                "--ddpm-steps", "1", "--threads", "2");

        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("every reference run reports the same SHA-256 (checked)"), r.out());
        // bf16 is timed where oneDNN has bf16 units to use (--bf16 auto); elsewhere, and in the test run on oneDNN's
        // SSE4.1 path, emulated bf16 would take minutes here.
        boolean bf16Timed = bf16Skipped(Bf16Column.auto, CpuFeatures.usableBf16Flags()).isEmpty();
        assertTrue(r.out().contains("bf16 column: " + (bf16Timed ? "timed" : "not timed (no bf16 units")), r.out());
        CpuFeatures.bf16CapIn(System.getenv()).ifPresent(cap -> {
            assertFalse(bf16Timed, "capped below bf16: " + cap);
            assertTrue(r.out().contains("which oneDNN does not use here (" + cap + ")"), r.out());
        });
        List<String> sampling = rows(r.out(), "| 16x16x3");
        assertEquals(2, sampling.size(), r.out());
        for (String row : sampling) {
            String[] cells = cells(row);
            for (int i = 3; i <= LAST_RATIO; i++) {
                if (!bf16Timed && (i == BF16 || i == BF16_RATIO)) {
                    assertEquals("n/a", cells[i], "bf16 column " + i + " not timed: " + row);
                } else {
                    assertTrue(NUMBER.matcher(cells[i]).matches(), "column " + i + " measured: " + row);
                }
            }
            assertFalse(cells[LAST_RATIO + 1].contains("n/a"), row);
        }
    }

    @Test
    void bf16IsTimedWhereTheCpuHasBf16UnitsOrWhenAskedFor() {
        assertEquals(Optional.empty(), bf16Skipped(Bf16Column.auto, Optional.of(List.of("avx512_bf16"))));
        assertTrue(bf16Skipped(Bf16Column.auto, Optional.of(List.of())).orElseThrow().contains("no bf16 units"));
        assertEquals(Optional.empty(), bf16Skipped(Bf16Column.auto, Optional.empty()), "flags unknown: timed");
        assertEquals(Optional.empty(), bf16Skipped(Bf16Column.on, Optional.of(List.of())));
        assertEquals(Optional.of("--bf16 off"), bf16Skipped(Bf16Column.off, Optional.of(List.of("amx_bf16"))));

        CommandRun r = benchmark("--bf16", "fast");
        assertEquals(CommandLine.ExitCode.USAGE, r.code(), r.out() + r.err());
        assertTrue(r.err().contains("--bf16") && r.err().contains("auto, on, off"), r.err());
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
