package org.diffusionworker.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.pytorch.jni.LibUtils;
import com.sun.jna.Library;
import com.sun.jna.Native;

/**
 * The few process-wide DJL settings the project depends on, applied before the engine starts.
 */
public final class DjlRuntime {

    private static final String OFFLINE = "ai.djl.offline";
    private static final String THREADS = "ai.djl.pytorch.num_threads";

    static {
        // Without it DJL's engine start asks a cloud metadata address and may try to download
        // natives; the PyTorch CPU natives come from the classpath instead.
        if (System.getProperty(OFFLINE) == null) {
            System.setProperty(OFFLINE, "true");
        }
        OneDnnGuard.applyBeforeOneDnnRuns();
        MallocTuning.applyBeforeTensorsAreAllocated();
    }

    private DjlRuntime() {}

    /** Starts the engine (offline) and returns it. */
    public static Engine engine() {
        return Engine.getInstance();
    }

    /** The device to use: the first GPU when the engine sees one, otherwise the CPU. */
    public static Device defaultDevice() {
        return engine().getGpuCount() > 0 ? Device.gpu() : Device.cpu();
    }

    /**
     * Parses a device name ({@code cpu}, {@code gpu}, {@code gpu:1}, or {@code auto}).
     *
     * @throws IllegalArgumentException naming the device when it is malformed or absent
     */
    public static Device device(String name) {
        if (name == null || name.isBlank() || name.equals("auto")) {
            return defaultDevice();
        }
        Device device;
        try {
            device = Device.fromName(name);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("unknown device '" + name + "' (use cpu, gpu, gpu:N or auto)", e);
        }
        // DJL parses a bare "gpu" (what the GPU image and overlays set) as device id -1, "the current one": it needs a
        // GPU as much as gpu:0 does.
        if (device.isGpu() && Math.max(device.getDeviceId(), 0) >= engine().getGpuCount()) {
            int count = engine().getGpuCount();
            throw new IllegalArgumentException("device '" + name + "' is not available: DJL counts " + count
                    + " GPU(s)" + (count == 0 ? ": " + whyNoGpu() : ""));
        }
        return device;
    }

    /** The two CUDA runtime calls that tell a missing library from a missing device; neither needs a GPU. */
    interface CudaRuntime extends Library {
        int cudaRuntimeGetVersion(int[] version);

        int cudaGetDeviceCount(int[] count);

        String cudaGetErrorString(int error);
    }

    /**
     * Why DJL sees no GPU, in the terms of a deployment: DJL counts GPUs through CUDA's runtime library, opened by
     * name as JNA does it ("cudart"), and logs nothing when that fails. So: is the library found, and if it is, what
     * does CUDA answer? The Dockerfile.gpu build checks for "libcudart loads (CUDA runtime 12.8)".
     */
    static String whyNoGpu() {
        String libtorch = "; libtorch from " + libtorchPath() + " (PYTORCH_LIBRARY_PATH="
                + System.getenv("PYTORCH_LIBRARY_PATH") + ", PYTORCH_FLAVOR=" + System.getenv("PYTORCH_FLAVOR") + ")";
        CudaRuntime cuda;
        try {
            cuda = Native.load("cudart", CudaRuntime.class);
        } catch (UnsatisfiedLinkError e) {
            return "libcudart.so.12 not found on the library path (ldconfig -p, LD_LIBRARY_PATH="
                    + System.getenv("LD_LIBRARY_PATH") + "): the CUDA runtime is missing or not registered with the"
                    + " dynamic linker (" + e.getMessage().lines().findFirst().orElse("") + ")" + libtorch;
        }
        int[] version = new int[1];
        int[] count = new int[1];
        String runtime = cuda.cudaRuntimeGetVersion(version) == 0
                ? (version[0] / 1000) + "." + (version[0] % 1000) / 10 : "of unknown version";
        int status = cuda.cudaGetDeviceCount(count);
        String answer = status == 0 ? count[0] + " device(s)" : cuda.cudaGetErrorString(status) + " (" + status + ")";
        return "libcudart loads (CUDA runtime " + runtime + "), but cudaGetDeviceCount answers " + answer
                + ": no GPU or NVIDIA driver is visible to this process (docker run --gpus, an nvidia.com/gpu limit,"
                + " NVIDIA_VISIBLE_DEVICES=" + System.getenv("NVIDIA_VISIBLE_DEVICES") + ", CUDA_VISIBLE_DEVICES="
                + System.getenv("CUDA_VISIBLE_DEVICES") + ")" + libtorch;
    }

    private static String libtorchPath() {
        try {
            return LibUtils.getLibtorchPath();
        } catch (RuntimeException e) {
            return "an unknown folder";
        }
    }

    /**
     * Turns autograd recording off on the calling thread. PyTorch's grad mode is per thread and
     * DJL only switches it off on the thread that started the engine.
     */
    public static void disableGradientsOnThisThread() {
        if ("PyTorch".equals(engine().getEngineName())) {
            JniUtils.setGradMode(false);
        }
    }

    /**
     * Sets PyTorch's intra-op thread count (a command's {@code --threads}; null leaves PyTorch's own). It must be set
     * before the engine starts: the engine reads it then, and an engine already running keeps its count.
     */
    public static void setIntraOpThreads(Integer threads) {
        if (threads == null) {
            return;
        }
        if (threads < 1) {
            throw new IllegalArgumentException("--threads must be >= 1, got " + threads);
        }
        System.setProperty(THREADS, Integer.toString(threads));
    }

    /** The engine's intra-op thread count (PyTorch's {@code get_num_threads}), or -1 for another engine. */
    public static int intraOpThreads() {
        return "PyTorch".equals(engine().getEngineName()) ? JniUtils.getNumThreads() : -1;
    }

    /** Seeds the engine's global generator (weight initialisation, training noise). */
    public static void seed(int seed) {
        engine().setRandomSeed(seed);
    }
}
