package org.diffusionworker.model;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Keeps libtorch's oneDNN off the code paths that are wrong on a CPU which reports no cache sizes (a virtual machine
 * that hides the cache topology: CPUID's cache leaves read zero, Linux has no {@code /sys/.../cpu0/cache}). oneDNN
 * sizes its blocking from those values. Measured on such a VM (AMD family 26, AVX-512): convolution input gradients
 * 5% off the float64 reference on the AVX-512 paths (ConvolutionGradientParityTest), bf16 convolutions 8.8% off
 * (Bf16ModelDirectoryTest), both right with oneDNN capped at AVX2; and its sum primitive divides by a cache size
 * (SIGFPE in {@code simple_sum_t::pd_t::init}) whatever the ISA, which kills any model that keeps activations in
 * oneDNN's layout (the packed export).
 *
 * <p>So before libtorch creates its first oneDNN primitive, {@link #applyBeforeOneDnnRuns()} caps oneDNN at AVX2 on
 * such a CPU, unless the user capped it already ({@code ONEDNN_MAX_CPU_ISA}, {@code DNNL_MAX_CPU_ISA}); oneDNN reads
 * the variable when it first dispatches, so setting it in this process (libc {@code setenv}, by JNA, which DJL brings)
 * is early enough. {@link ModelLoader} refuses packed models on such a CPU with a message saying why.
 */
public final class OneDnnGuard {

    private static final Path CACHE_SIZE = Path.of("/sys/devices/system/cpu/cpu0/cache/index0/size");
    private static final System.Logger LOG = System.getLogger(OneDnnGuard.class.getName());
    static final String CAP = "AVX2";
    private static volatile String applied;
    private static boolean done;

    private OneDnnGuard() {}

    /** False on Linux when the kernel knows no cache sizes of CPU 0 (elsewhere: assumed known). */
    public static boolean cacheSizesKnown() {
        return !isLinux() || Files.exists(CACHE_SIZE);
    }

    /** The cap this process set on oneDNN, if it set one. */
    public static Optional<String> appliedCap() {
        return Optional.ofNullable(applied);
    }

    /** Caps oneDNN at AVX2 where the cache sizes are unknown and nobody capped it; once per process. */
    public static synchronized void applyBeforeOneDnnRuns() {
        if (done) {
            return;
        }
        done = true;
        if (cacheSizesKnown() || CpuFeatures.isaCapIn(System.getenv()).isPresent()) {
            return;
        }
        try {
            LibC.load().setenv("ONEDNN_MAX_CPU_ISA", CAP, 0);
            applied = CAP;
            LOG.log(System.Logger.Level.WARNING, "This CPU reports no cache sizes (a virtual machine hiding its cache"
                    + " topology); oneDNN computes wrong convolution gradients on its AVX-512 paths there, so it is"
                    + " capped at " + CAP + " (set ONEDNN_MAX_CPU_ISA yourself to choose otherwise)");
        } catch (RuntimeException | LinkageError e) {
            LOG.log(System.Logger.Level.WARNING, "This CPU reports no cache sizes and oneDNN could not be capped at "
                    + CAP + " (" + e + "); start with ONEDNN_MAX_CPU_ISA=" + CAP + " in the environment");
        }
    }

    /** Why a model that keeps activations in oneDNN's layout cannot run here, if it cannot. */
    static Optional<String> packedRefusal(String modelName) {
        if (cacheSizesKnown()) {
            return Optional.empty();
        }
        return Optional.of("model " + modelName + " is an fp32-packed export, and this CPU reports no cache sizes (a"
                + " virtual machine hiding its cache topology): oneDNN's sum primitive, which the packed export runs"
                + " in every residual block, divides by them and kills the process; serve the model it was exported"
                + " from (the same weights) here");
    }

    private static boolean isLinux() {
        return System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux");
    }
}
