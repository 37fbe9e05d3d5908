package org.diffusionworker.diffusion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DdimSamplerTest {

    private final NoiseSchedule schedule = new NoiseSchedule(500, 1e-4, 0.02);

    @Test
    void stepsThatDivideTUseTheSeedsGrid() {
        int[] t = new DdimSampler(schedule, 20, 0).timesteps();
        assertEquals(20, t.length);
        assertEquals(500, t[0]);
        assertEquals(475, t[1]);
        assertEquals(25, t[19]);
    }

    @Test
    void stepsThatDoNotDivideTAreSpacedTrailingAndEndAboveZero() {
        int[] t = new DdimSampler(schedule, 30, 0).timesteps();
        assertEquals(30, t.length);
        assertEquals(500, t[0]);
        assertEquals(17, t[29]);
        for (int i = 1; i < t.length; i++) {
            assertTrue(t[i] < t[i - 1]);
        }
    }

    @Test
    void invalidStepsAndEtaAreRejectedNamingThem() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new DdimSampler(schedule, 0, 0))
                .getMessage().contains("steps"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new DdimSampler(schedule, 10, 1.5))
                .getMessage().contains("eta"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new SamplerSettings(SamplerKind.DDPM, 500, 0.3))
                .getMessage().contains("eta"));
    }

    @Test
    void etaZeroNeedsNoNoiseAndEtaOneDoesExceptAtTheLastStep() {
        assertFalse(new DdimSampler(schedule, 10, 0).needsNoise(500));
        DdimSampler stochastic = new DdimSampler(schedule, 10, 1);
        assertTrue(stochastic.needsNoise(500));
        assertFalse(stochastic.needsNoise(50));
    }

    @Test
    void perfectNoisePredictionRecoversTheCleanImage() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray clean = m.randomUniform(-1, 1, new Shape(2, 1, 4, 4));
            NDArray noise = m.randomNormal(new Shape(2, 1, 4, 4));
            int t = 500;
            double ab = schedule.alphaBar(t);
            // Forward process: x_t = sqrt(ab) x0 + sqrt(1 - ab) eps.
            NDArray x = clean.mul((float) Math.sqrt(ab)).add(noise.mul((float) Math.sqrt(1 - ab)));
            DdimSampler oneStep = new DdimSampler(schedule, 1, 0);
            NDArray recovered = oneStep.step(noise, t, x, null, oneStep.newHistory()).previous();
            assertTrue(recovered.sub(clean).abs().max().getFloat() < 1e-3f);
        }
    }

    @Test
    void guidanceRunsOnePassOnADoubledBatch() {
        try (NDManager m = NDManager.newBaseManager()) {
            List<Long> batchSizes = new ArrayList<>();
            // eps(c) = c broadcast, eps(0) = 0, so guided eps = (1 + w) c.
            Denoiser fake = (x, t, c) -> {
                batchSizes.add(x.getShape().get(0));
                return c.sum(new int[] {1}).reshape(-1, 1, 1, 1).broadcast(x.getShape());
            };
            NDArray x = m.zeros(new Shape(3, 1, 2, 2));
            NDArray c = m.create(new float[] {1, 0, 0, 1, 0.5f, 0.5f}, new Shape(3, 2));
            NDArray eps = new ClassifierFreeGuidance(2).predict(fake, x, m.ones(new Shape(3)), c);
            assertEquals(List.of(6L), batchSizes);
            assertArrayEquals(new float[] {3, 3, 3}, eps.get(":, 0, 0, 0").toFloatArray());
            batchSizes.clear();
            new ClassifierFreeGuidance(0).predict(fake, x, m.ones(new Shape(3)), c);
            assertEquals(List.of(3L), batchSizes);
        }
    }
}
