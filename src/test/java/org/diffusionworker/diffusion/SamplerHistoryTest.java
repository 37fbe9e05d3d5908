package org.diffusionworker.diffusion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

class SamplerHistoryTest {

    @Test
    void keepsTheNewestStepsUpToItsCapacity() {
        try (NDManager m = NDManager.newBaseManager()) {
            SamplerHistory history = new SamplerHistory(2);
            for (int t : new int[] {500, 400, 300}) {
                history.record(t, m.full(new Shape(2, 1), t), null);
            }
            assertEquals(2, history.size());
            assertEquals(300, history.get(0).t());
            assertEquals(400, history.get(1).t());
            assertTrue(assertThrows(IllegalArgumentException.class, () -> history.get(2)).getMessage()
                    .contains("holds 2"));
            SamplerHistory none = new SamplerHistory(0);
            none.record(500, m.zeros(new Shape(1)), null);
            assertEquals(0, none.size());
        }
    }

    @Test
    void keepRowsGathersTheSameRowsOfEveryStoredArray() {
        try (NDManager m = NDManager.newBaseManager()) {
            SamplerHistory history = new SamplerHistory(2);
            // Row i of step t holds t + i, so a gathered row tells where it came from.
            history.record(500, rows(m, 500), rows(m, 5000));
            history.record(400, rows(m, 400), null);
            history.keepRows(m.create(new long[] {3, 0}));
            assertArrayEquals(new float[] {403, 403, 400, 400}, history.get(0).predictedOriginal().toFloatArray());
            assertNull(history.get(0).departedFrom());
            assertArrayEquals(new float[] {503, 503, 500, 500}, history.get(1).predictedOriginal().toFloatArray());
            assertArrayEquals(new float[] {5003, 5003, 5000, 5000}, history.get(1).departedFrom().toFloatArray());
            assertEquals(new Shape(2, 1, 1, 2), history.get(1).departedFrom().getShape());
        }
    }

    @Test
    void attachMovesTheArraysOutOfAClosingManager() {
        try (NDManager m = NDManager.newBaseManager()) {
            SamplerHistory history = new SamplerHistory(1);
            NDManager step = m.newSubManager();
            history.record(500, rows(step, 1), rows(step, 2));
            NDManager next = m.newSubManager();
            history.attach(next);
            step.close();
            assertEquals(1 + 3, history.get(0).predictedOriginal().toFloatArray()[6]);
            next.close();
        }
    }

    /** [4, 1, 1, 2]: row i holds base + i twice. */
    private static NDArray rows(NDManager m, float base) {
        float[] v = new float[8];
        for (int i = 0; i < 4; i++) {
            v[2 * i] = base + i;
            v[2 * i + 1] = base + i;
        }
        return m.create(v, new Shape(4, 1, 1, 2));
    }
}
