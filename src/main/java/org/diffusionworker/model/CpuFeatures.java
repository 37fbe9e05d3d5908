package org.diffusionworker.model;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** What the CPU offers for bf16 arithmetic, from the flags Linux lists in {@code /proc/cpuinfo}. */
public final class CpuFeatures {

    /** The x86 flags of native bf16 arithmetic that oneDNN uses. */
    public static final List<String> BF16_FLAGS = List.of("avx512_bf16", "amx_bf16", "avx_ne_convert");

    private static final Path CPUINFO = Path.of("/proc/cpuinfo");

    private CpuFeatures() {}

    /** For reports: the bf16 flags found, "none" when there are none, or why it cannot say. */
    public static String bf16() {
        return bf16Flags().map(CpuFeatures::describe).orElse("unknown (" + CPUINFO + " unreadable)");
    }

    /** The bf16 flags of this CPU; empty when {@code /proc/cpuinfo} cannot be read (not Linux, not x86). */
    public static Optional<List<String>> bf16Flags() {
        try (Stream<String> lines = Files.lines(CPUINFO)) {
            Optional<String> flags = lines.filter(l -> l.startsWith("flags")).findFirst();
            return flags.map(CpuFeatures::bf16Flags);
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** The bf16 flags in one {@code flags : ...} line of {@code /proc/cpuinfo}. */
    public static List<String> bf16Flags(String flagsLine) {
        Set<String> flags = Arrays.stream(flagsLine.substring(flagsLine.indexOf(':') + 1).trim().split("\\s+"))
                .collect(Collectors.toSet());
        return BF16_FLAGS.stream().filter(flags::contains).toList();
    }

    /** "none", or "yes (the flags)". */
    public static String describe(List<String> bf16Flags) {
        return bf16Flags.isEmpty() ? "none" : "yes (" + String.join(", ", bf16Flags) + ")";
    }
}
