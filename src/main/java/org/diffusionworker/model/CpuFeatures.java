package org.diffusionworker.model;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * What the CPU offers for bf16 arithmetic, from the flags Linux lists in {@code /proc/cpuinfo}, and whether oneDNN
 * may use it: {@code ONEDNN_MAX_CPU_ISA} can cap oneDNN below its bf16 code paths (our tests do, to run its oldest
 * one), and then it emulates bf16 on any CPU.
 */
public final class CpuFeatures {

    /** The x86 flags of native bf16 arithmetic that oneDNN uses. */
    public static final List<String> BF16_FLAGS = List.of("avx512_bf16", "amx_bf16", "avx_ne_convert");

    private static final Path CPUINFO = Path.of("/proc/cpuinfo");
    /** oneDNN reads its ISA cap from the first of these that is set (the second is the older name). */
    private static final List<String> ISA_CAP_VARIABLES = List.of("ONEDNN_MAX_CPU_ISA", "DNNL_MAX_CPU_ISA");
    /** oneDNN's ISA names below its first ones with bf16 arithmetic (AVX2_VNNI_2, AVX512_CORE_BF16). */
    private static final Set<String> ISAS_WITHOUT_BF16 =
            Set.of("SSE41", "AVX", "AVX2", "AVX2_VNNI", "AVX512_CORE", "AVX512_CORE_VNNI");

    private CpuFeatures() {}

    /** For reports: the bf16 flags found, "none" when there are none, or why it cannot say; and a cap on oneDNN. */
    public static String bf16() {
        String flags = bf16Flags().map(CpuFeatures::describe).orElse("unknown (" + CPUINFO + " unreadable)");
        return bf16CapIn(effectiveEnvironment()).map(cap -> flags + ", which oneDNN does not use here (" + cap + ")")
                .orElse(flags);
    }

    /**
     * The bf16 units oneDNN may use in this process: the CPU's, or none where the environment caps oneDNN below them
     * ({@link #bf16CapIn}); empty when the CPU's flags cannot be read.
     */
    public static Optional<List<String>> usableBf16Flags() {
        return bf16CapIn(effectiveEnvironment()).isPresent() ? Optional.of(List.of()) : bf16Flags();
    }

    /** The oneDNN ISA cap set in {@code env} ({@code NAME=VALUE}), whatever its level, if there is one. */
    public static Optional<String> isaCapIn(Map<String, String> env) {
        for (String name : ISA_CAP_VARIABLES) {
            String value = env.get(name);
            if (value != null && !value.isBlank()) {
                return Optional.of(name + "=" + value.trim());
            }
        }
        return Optional.empty();
    }

    /** The environment as oneDNN sees it: the process's, plus the cap {@link OneDnnGuard} set in it, if any. */
    static Map<String, String> effectiveEnvironment() {
        Optional<String> guard = OneDnnGuard.appliedCap();
        if (guard.isEmpty()) {
            return System.getenv();
        }
        Map<String, String> env = new java.util.HashMap<>(System.getenv());
        env.put("ONEDNN_MAX_CPU_ISA", guard.get());
        return env;
    }

    /**
     * The oneDNN ISA cap in {@code env} that keeps oneDNN from bf16 arithmetic, as {@code NAME=VALUE}, if there is
     * one. oneDNN reads the variable once, at its first use, so the process's environment at start is what counts.
     */
    public static Optional<String> bf16CapIn(Map<String, String> env) {
        for (String name : ISA_CAP_VARIABLES) {
            String value = env.get(name);
            if (value != null && !value.isBlank()) {
                return ISAS_WITHOUT_BF16.contains(value.trim().toUpperCase(Locale.ROOT))
                        ? Optional.of(name + "=" + value.trim())
                        : Optional.empty();
            }
        }
        return Optional.empty();
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
