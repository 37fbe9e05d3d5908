package org.diffusionworker.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Reading the CPU's bf16 units from its flags and oneDNN's ISA cap, and the warning a bf16 export gets where oneDNN
 * has none to use.
 */
class CpuFeaturesTest {

    @Test
    void theBf16FlagsAreReadFromTheCpuFlags() {
        assertEquals(List.of("avx512_bf16"), CpuFeatures.bf16Flags("flags\t\t: fpu sse2 avx512f avx512_bf16 avx512vl"));
        assertEquals(List.of("avx512_bf16", "amx_bf16"), CpuFeatures.bf16Flags("flags : amx_bf16 avx512_bf16"));
        assertEquals(List.of(), CpuFeatures.bf16Flags("flags : fpu sse2 avx2 avx512f"));
        assertEquals(List.of(), CpuFeatures.bf16Flags(""));
        assertEquals("yes (avx512_bf16, amx_bf16)", CpuFeatures.describe(List.of("avx512_bf16", "amx_bf16")));
        assertEquals("none", CpuFeatures.describe(List.of()));
    }

    @Test
    @Tag("native-memory") // so that it also runs where the build caps oneDNN at SSE4.1, and checks that branch
    void anIsaCapBelowBf16KeepsOneDnnFromTheBf16Units() {
        assertEquals(Optional.of("ONEDNN_MAX_CPU_ISA=SSE41"),
                CpuFeatures.bf16CapIn(Map.of("ONEDNN_MAX_CPU_ISA", "SSE41")));
        assertEquals(Optional.of("ONEDNN_MAX_CPU_ISA=avx512_core"),
                CpuFeatures.bf16CapIn(Map.of("ONEDNN_MAX_CPU_ISA", "avx512_core")), "oneDNN reads it in any case");
        assertEquals(Optional.of("DNNL_MAX_CPU_ISA=AVX2"), CpuFeatures.bf16CapIn(Map.of("DNNL_MAX_CPU_ISA", "AVX2")),
                "the older name");
        assertEquals(Optional.empty(), CpuFeatures.bf16CapIn(Map.of("ONEDNN_MAX_CPU_ISA", "AVX512_CORE_BF16")));
        assertEquals(Optional.empty(), CpuFeatures.bf16CapIn(Map.of("ONEDNN_MAX_CPU_ISA", "AVX512_CORE_AMX")));
        assertEquals(Optional.empty(), CpuFeatures.bf16CapIn(Map.of("ONEDNN_MAX_CPU_ISA", "ALL")));
        assertEquals(Optional.empty(), CpuFeatures.bf16CapIn(Map.of()));
        assertEquals(Optional.empty(),
                CpuFeatures.bf16CapIn(Map.of("ONEDNN_MAX_CPU_ISA", "ALL", "DNNL_MAX_CPU_ISA", "SSE41")),
                "the new name wins, as in oneDNN");
        // This process: under a cap (the SSE4.1 test run) oneDNN has no bf16 units whatever the CPU lists.
        if (CpuFeatures.bf16CapIn(CpuFeatures.effectiveEnvironment()).isPresent()) {
            assertEquals(Optional.of(List.of()), CpuFeatures.usableBf16Flags());
        } else {
            assertEquals(CpuFeatures.bf16Flags(), CpuFeatures.usableBf16Flags());
        }
    }

    @Test
    void aBf16ExportIsWarnedAboutOnlyWhereTheCpuHasNoBf16Units() {
        ModelSpec bf16 = ModelCards.read(Path.of("models/fashion-mnist-bf16/model.json"));
        ModelSpec fp32 = ModelCards.read(Path.of("models/fashion-mnist/model.json"));
        ModelSpec fp32Export = new ModelSpec("m-fp32", fp32.architecture(), fp32.labels(), fp32.schedule(),
                fp32.pixelRange(), Map.of("precision", "fp32 inside: scripted from m.npz"), fp32.weights(), null);

        Optional<String> warning = ModelLoader.bf16Warning(bf16, Optional.of(List.of()));
        assertTrue(warning.isPresent(), "the shipped bf16 export on a CPU without bf16 units");
        assertTrue(warning.get().contains("fashion-mnist-bf16") && warning.get().contains("avx512_bf16")
                && warning.get().contains("slower"), warning.get());
        assertEquals(Optional.empty(), ModelLoader.bf16Warning(bf16, Optional.of(List.of("avx512_bf16"))));
        assertEquals(Optional.empty(), ModelLoader.bf16Warning(bf16, Optional.empty()), "flags unknown: no guess");
        assertEquals(Optional.empty(), ModelLoader.bf16Warning(fp32, Optional.of(List.of())));
        assertEquals(Optional.empty(), ModelLoader.bf16Warning(fp32Export, Optional.of(List.of())));
    }
}
