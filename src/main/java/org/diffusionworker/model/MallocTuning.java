package org.diffusionworker.model;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Fixes glibc malloc's thresholds before libtorch allocates its first tensor, so that a pass's tensors come from heap
 * the process keeps instead of fresh mappings faulted in page by page.
 *
 * <p>libtorch takes every CPU tensor from {@code malloc}. glibc maps a block above its mmap threshold afresh and
 * unmaps it on {@code free}, and returns freed heap above its trim threshold to the kernel; both thresholds start
 * small (128 KiB, 256 KiB) and rise only as blocks that large happen to be freed. Until then, and in any process
 * whose history never raised them far enough, each forward pass of the ContextUnet faults 10,000-50,000 pages in
 * again (about 7 us each on a VM): up to twice the pass's time, and a different time in every process
 * (docs/performance.md, "Allocator"). Fixed thresholds (32 MiB, glibc's highest; trim 1 GiB; top pad 64 MiB) make
 * every pass after the first reuse the heap: the process keeps, instead of returning, memory its largest pass needs
 * again anyway.
 *
 * <p>Not applied where the user tunes malloc: any {@code glibc.malloc.*} in {@code GLIBC_TUNABLES} (to keep glibc's
 * own adjusting thresholds, set its default {@code glibc.malloc.tcache_count=7}), or the {@code MALLOC_*_} variables
 * of these thresholds; nor where libc has no {@code mallopt} (not glibc).
 */
public final class MallocTuning {

    /** glibc's highest mmap threshold on 64-bit (HEAP_MAX_SIZE / 2): blocks up to it come from the heap. */
    static final int MMAP_THRESHOLD = 32 << 20;
    /** Freed heap at the top kept up to this much rather than returned: a pass's working set is hundreds of MiB. */
    static final int TRIM_THRESHOLD = 1 << 30;
    /** Extra heap taken with each extension, so that a growing pass extends the heap a few times, not hundreds. */
    static final int TOP_PAD = 64 << 20;

    private static final int M_TRIM_THRESHOLD = -1;
    private static final int M_TOP_PAD = -2;
    private static final int M_MMAP_THRESHOLD = -3;
    private static final List<String> VARIABLES = List.of("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_",
            "MALLOC_TOP_PAD_");
    private static final System.Logger LOG = System.getLogger(MallocTuning.class.getName());
    private static volatile boolean applied;
    private static boolean done;

    private MallocTuning() {}

    /** Whether this process fixed the thresholds. */
    public static boolean applied() {
        return applied;
    }

    /** Fixes the thresholds unless the user chose them; once per process. */
    public static synchronized void applyBeforeTensorsAreAllocated() {
        if (done) {
            return;
        }
        done = true;
        Optional<String> chosen = userChoice(System.getenv());
        if (chosen.isPresent()) {
            LOG.log(System.Logger.Level.DEBUG, "glibc malloc thresholds left as " + chosen.get() + " sets them");
            return;
        }
        try {
            LibC libc = LibC.load();
            boolean ok = libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1
                    & libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1
                    & libc.mallopt(M_TOP_PAD, TOP_PAD) == 1;
            applied = ok;
            LOG.log(System.Logger.Level.DEBUG, (ok ? "glibc malloc thresholds fixed" : "glibc refused one of the malloc"
                    + " thresholds") + ": mmap 32 MiB, trim 1 GiB, top pad 64 MiB");
        } catch (RuntimeException | LinkageError e) {
            // Not glibc (musl, macOS): their allocators have no such thresholds to fix.
            LOG.log(System.Logger.Level.DEBUG, "no mallopt in libc (" + e + "); allocator left as it is");
        }
    }

    /** The variable by which the user tunes malloc, if any: then this class leaves it alone. */
    static Optional<String> userChoice(Map<String, String> environment) {
        String tunables = environment.getOrDefault("GLIBC_TUNABLES", "");
        if (tunables.contains("glibc.malloc.")) {
            return Optional.of("GLIBC_TUNABLES");
        }
        return VARIABLES.stream().filter(environment::containsKey).findFirst();
    }
}
