package org.diffusionworker.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** What the CPU offers for bf16 arithmetic, from the flags Linux lists in {@code /proc/cpuinfo}. */
final class CpuFeatures {

    /** The x86 flags of native bf16 arithmetic that oneDNN uses. */
    private static final List<String> BF16_FLAGS = List.of("avx512_bf16", "amx_bf16", "avx_ne_convert");

    private CpuFeatures() {}

    /** For the report: the bf16 flags found, "none" when there are none, or why it cannot say. */
    static String bf16() {
        Path cpuinfo = Path.of("/proc/cpuinfo");
        try (Stream<String> lines = Files.lines(cpuinfo)) {
            return bf16(lines.filter(l -> l.startsWith("flags")).findFirst().orElse(""));
        } catch (IOException | RuntimeException e) {
            return "unknown (" + cpuinfo + " unreadable)";
        }
    }

    /** The bf16 flags in one {@code flags : ...} line of {@code /proc/cpuinfo}. */
    static String bf16(String flagsLine) {
        Set<String> flags = Arrays.stream(flagsLine.substring(flagsLine.indexOf(':') + 1).trim().split("\\s+"))
                .collect(Collectors.toSet());
        List<String> found = BF16_FLAGS.stream().filter(flags::contains).toList();
        return found.isEmpty() ? "none" : "yes (" + String.join(", ", found) + ")";
    }
}
