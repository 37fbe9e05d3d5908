package org.diffusionworker.diffusion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Map;
import java.nio.file.Files;
import java.nio.file.Path;
import java.io.InputStream;
import ai.djl.ndarray.NDList;
import org.junit.jupiter.api.Test;

class NoiseScheduleTest {

    @Test
    void matchesTheSeedsFloat32ScheduleFromPyTorch() throws Exception {
        NoiseSchedule schedule = new NoiseSchedule(500, 1e-4, 0.02);
        Path file = Path.of(getClass().getResource("/fixtures/schedule.npz").toURI());
        try (NDManager m = NDManager.newBaseManager(); InputStream in = Files.newInputStream(file)) {
            Map<String, NDArray> f = new java.util.HashMap<>();
            for (NDArray a : NDList.decode(m, in)) {
                f.put(a.getName(), a);
            }
            float[] b = f.get("b_t").toFloatArray();
            float[] ab = f.get("ab_t").toFloatArray();
            for (int t = 0; t <= 500; t++) {
                assertEquals(b[t], schedule.beta(t), 1e-6 * b[t], "beta at " + t);
                assertEquals(ab[t], schedule.alphaBar(t), 1e-6, "alpha bar at " + t);
            }
            // The seed's quirk: the product includes a_0, so ab_1 = a_0 a_1, and ab_0 is forced to 1.
            assertEquals(1.0, schedule.alphaBar(0));
            assertEquals(schedule.alpha(0) * schedule.alpha(1), schedule.alphaBar(1), 1e-12);
        }
    }

    @Test
    void invalidScheduleIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> new NoiseSchedule(0, 1e-4, 0.02));
        assertThrows(IllegalArgumentException.class, () -> new NoiseSchedule(500, 0.02, 1e-4));
        assertThrows(IllegalArgumentException.class, () -> new NoiseSchedule(500, 1e-4, 0.02).alphaBar(501));
    }
}
