package org.diffusionworker.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Structure;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class MallocTuningTest {

    /** glibc's {@code struct mallinfo2}: ten {@code size_t}. */
    @Structure.FieldOrder({"arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
            "fordblks", "keepcost"})
    public static class MallInfo2 extends Structure implements Structure.ByValue {
        public long arena;
        public long ordblks;
        public long smblks;
        public long hblks;
        /** Bytes in blocks mapped on their own (above the mmap threshold), over the whole process. */
        public long hblkhd;
        public long usmblks;
        public long fsmblks;
        public long uordblks;
        public long fordblks;
        public long keepcost;
    }

    private interface GlibcInfo extends Library {
        MallInfo2 mallinfo2();
    }

    @Test
    void aBlockOfTwentyFourMibComesFromTheHeapOnceTheEngineIsUp() {
        assumeTrue(MallocTuning.userChoice(System.getenv()).isEmpty(), "the environment sets malloc thresholds");
        GlibcInfo glibc;
        try {
            glibc = Native.load("c", GlibcInfo.class);
            glibc.mallinfo2();
        } catch (UnsatisfiedLinkError e) {
            assumeTrue(false, "no glibc 2.33+ (mallinfo2) here: " + e.getMessage());
            return;
        }
        DjlRuntime.engine();
        assertTrue(MallocTuning.applied(), "thresholds fixed at engine start");
        long mappedBefore = glibc.mallinfo2().hblkhd;
        // glibc's own threshold starts at 128 KiB and rises only to the largest mapped block freed so far: a fresh
        // 24 MiB block is mapped on its own unless the threshold was fixed above it.
        long block = Native.malloc(24 << 20);
        try {
            long mapped = glibc.mallinfo2().hblkhd - mappedBefore;
            assertTrue(mapped < 24 << 20, "a 24 MiB block was mapped on its own (" + mapped + " bytes more mapped)");
        } finally {
            Native.free(block);
        }
    }

    @Test
    void mallocTheUserTunesIsLeftAlone() {
        assertEquals(Optional.empty(), MallocTuning.userChoice(Map.of()));
        assertEquals(Optional.empty(), MallocTuning.userChoice(Map.of("GLIBC_TUNABLES", "glibc.cpu.x86_shstk=off",
                "MALLOC_ARENA_MAX", "2")));
        assertEquals(Optional.of("GLIBC_TUNABLES"), MallocTuning.userChoice(Map.of("GLIBC_TUNABLES",
                "glibc.cpu.x86_shstk=off:glibc.malloc.trim_threshold=1073741824")));
        assertEquals(Optional.of("GLIBC_TUNABLES"), MallocTuning.userChoice(Map.of("GLIBC_TUNABLES",
                "glibc.malloc.tcache_count=7")));
        assertEquals(Optional.of("MALLOC_TOP_PAD_"), MallocTuning.userChoice(Map.of("MALLOC_TOP_PAD_", "0")));
    }
}
