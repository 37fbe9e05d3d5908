package org.diffusionworker.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;

/**
 * The few process-wide DJL settings the project depends on, applied before the engine starts.
 */
public final class DjlRuntime {

    private static final String OFFLINE = "ai.djl.offline";

    static {
        // Without it DJL's engine start asks a cloud metadata address and may try to download
        // natives; the PyTorch CPU natives come from the classpath instead.
        if (System.getProperty(OFFLINE) == null) {
            System.setProperty(OFFLINE, "true");
        }
        OneDnnGuard.applyBeforeOneDnnRuns();
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
        if (device.isGpu() && device.getDeviceId() >= engine().getGpuCount()) {
            throw new IllegalArgumentException("device '" + name + "' is not available: the engine sees "
                    + engine().getGpuCount() + " GPU(s)");
        }
        return device;
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

    /** The engine's intra-op thread count (PyTorch's {@code get_num_threads}), or -1 for another engine. */
    public static int intraOpThreads() {
        return "PyTorch".equals(engine().getEngineName()) ? JniUtils.getNumThreads() : -1;
    }

    /** Seeds the engine's global generator (weight initialisation, training noise). */
    public static void seed(int seed) {
        engine().setRandomSeed(seed);
    }
}
