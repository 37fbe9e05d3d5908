package org.diffusionworker.model;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.Test;

/**
 * Asked for a GPU it cannot see, the worker says what is missing: the CUDA runtime library (not found by name, as DJL
 * looks for it) or the device itself (the library loads, CUDA finds no GPU or driver). deploy/Dockerfile.gpu's build
 * relies on the second wording.
 */
class DjlRuntimeGpuRefusalTest {

    @Test
    void refusingTheGpuNamesWhatIsMissing() {
        assumeTrue(DjlRuntime.engine().getGpuCount() == 0, "this machine has a GPU: nothing to refuse");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DjlRuntime.device("gpu"));
        String message = e.getMessage();
        assertTrue(message.startsWith("device 'gpu' is not available: DJL counts 0 GPU(s): "), message);
        boolean noLibrary = message.contains("libcudart.so.12 not found on the library path (ldconfig -p, LD_LIBRARY_PATH=");
        boolean noDevice = message.matches("(?s).*libcudart loads \\(CUDA runtime \\d+\\.\\d\\), but cudaGetDeviceCount"
                + " answers .*no GPU or NVIDIA driver is visible.*");
        assertTrue(noLibrary ^ noDevice, message);
        assertTrue(message.contains("; libtorch from /"), "names the libtorch DJL loaded: " + message);
    }
}
