package org.diffusionworker.diffusion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.diffusionworker.testing.Fixtures;
import org.diffusionworker.testing.StandInDenoiser;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * DPM-Solver++(2M) and UniPC step for step against the float64 NumPy reference of
 * {@code tools/reference/make_multistep_fixtures.py}, on its closed-form stand-in network: every intermediate sample
 * and every predicted x0, at 5, 10 and 20 steps, unguided and guided (w = 2), on both spacings.
 */
class MultistepSamplerParityTest {

    private static final float TOLERANCE = 1e-4f;
    private static final NoiseSchedule SCHEDULE = new NoiseSchedule(500, 1e-4, 0.02);

    static Stream<Arguments> cases() {
        List<Arguments> all = new ArrayList<>();
        for (SamplerKind kind : List.of(SamplerKind.DPMPP_2M, SamplerKind.UNIPC)) {
            for (TimestepSpacing spacing : TimestepSpacing.values()) {
                for (int steps : new int[] {5, 10, 20}) {
                    for (int w : new int[] {0, 2}) {
                        all.add(Arguments.of(kind, spacing, steps, w));
                    }
                }
            }
        }
        return all.stream();
    }

    @ParameterizedTest(name = "{0} {1} {2} steps w={3}")
    @MethodSource("cases")
    void trajectoryMatchesTheFloat64Reference(SamplerKind kind, TimestepSpacing spacing, int steps, int w) {
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> f = Fixtures.arrays(m, "multistep", kind.id() + ".npz");
            String key = "n" + steps + "_w" + w + "_" + spacing.id();
            Sampler sampler = new SamplerSettings(kind, steps, 0, spacing).create(SCHEDULE);
            assertArrayEquals(toInts(f.get(key + "_timesteps")), sampler.timesteps(), "timesteps");

            NDArray x = f.get("x_T");
            NDArray c = f.get("c");
            Denoiser standIn = new StandInDenoiser(SCHEDULE, f.get("s").getFloat(), f.get("nonlinear").getFloat(), m,
                    (int) c.getShape().get(1), (int) (x.size() / x.getShape().get(0)));
            ClassifierFreeGuidance guidance = new ClassifierFreeGuidance(w);
            SamplerHistory history = sampler.newHistory();
            int k = 0;
            for (int t : sampler.timesteps()) {
                NDArray time = m.full(new Shape(x.getShape().get(0)), (float) t / SCHEDULE.timesteps());
                StepOutput out = sampler.step(guidance.predict(standIn, x, time, c), t, x, null, history);
                assertClose(f.get(key + "_x0").get(new NDIndex(k)), out.predictedOriginal(), "x0 at step " + k);
                assertClose(f.get(key + "_x").get(new NDIndex(k)), out.previous(), "sample after step " + k);
                x = out.previous();
                k++;
            }
        }
    }

    private static int[] toInts(NDArray longs) {
        long[] values = longs.toLongArray();
        int[] ints = new int[values.length];
        for (int i = 0; i < values.length; i++) {
            ints[i] = Math.toIntExact(values[i]);
        }
        return ints;
    }

    private static void assertClose(NDArray expected, NDArray actual, String what) {
        float diff = Fixtures.maxAbsDiff(expected, actual);
        assertTrue(diff < TOLERANCE, what + ": max |java - float64 reference| = " + diff);
    }
}
