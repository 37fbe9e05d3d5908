package org.diffusionworker.diffusion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import org.diffusionworker.testing.StandInDenoiser;
import org.junit.jupiter.api.Test;

/** A pass split into network calls gives the pass's prediction, in calls of at most the limit, and frees each call. */
class ChunkedDenoiserTest {

    private static final NoiseSchedule SCHEDULE = new NoiseSchedule(500, 1e-4, 0.02);
    private static final int WIDTH = 3;

    /** Passes every call to the stand-in network and keeps what it was given. */
    private static final class Recording implements Denoiser {
        private final Denoiser network;
        final List<Long> rows = new ArrayList<>();
        final List<NDArray> inputs = new ArrayList<>();

        Recording(Denoiser network) {
            this.network = network;
        }

        @Override
        public NDArray predictNoise(NDArray x, NDArray t, NDArray c) {
            rows.add(x.getShape().get(0));
            inputs.add(x);
            return network.predictNoise(x, t, c);
        }
    }

    private static ImageNoise noise(int images) {
        List<ImageNoise.ImageSeed> seeds = new ArrayList<>();
        for (int i = 0; i < images; i++) {
            seeds.add(new ImageNoise.ImageSeed(11, i));
        }
        return new ImageNoise(seeds, 1, 4, 4);
    }

    private static float[] contexts(int images) {
        float[] c = new float[images * WIDTH];
        for (int i = 0; i < images; i++) {
            c[i * WIDTH + i % WIDTH] = 1;
        }
        return c;
    }

    @Test
    void aGuidedRunInCallsOfThreeRowsEndsWhereOneCallPerPassDoes() {
        try (NDManager m = NDManager.newBaseManager()) {
            StandInDenoiser network = new StandInDenoiser(SCHEDULE, 0.5, 0.1, m, WIDTH, 16);
            Sampler sampler = SamplerSettings.of(SamplerKind.parse("dpmpp-2m"), 6).create(SCHEDULE);
            ClassifierFreeGuidance guidance = new ClassifierFreeGuidance(1.5);
            Recording whole = new Recording(network);
            Recording calls = new Recording(network);

            float[] expected = SamplingLoop.run(whole, SCHEDULE, sampler, guidance, noise(5), contexts(5), WIDTH, m,
                    null, SamplingLoop.StepListener.NONE);
            float[] chunked = SamplingLoop.run(new ChunkedDenoiser(calls, 3), SCHEDULE, sampler, guidance, noise(5),
                    contexts(5), WIDTH, m, null, SamplingLoop.StepListener.NONE);

            assertArrayEquals(expected, chunked, 1e-6f);
            int passes = whole.rows.size();
            assertTrue(passes >= 6, "passes: " + passes);
            assertTrue(whole.rows.stream().allMatch(r -> r == 10), "five guided images: passes of 10 rows");
            List<Long> perPass = List.of(3L, 3L, 3L, 1L);
            assertEquals(passes * perPass.size(), calls.rows.size());
            for (int p = 0; p < passes; p++) {
                assertEquals(perPass, calls.rows.subList(p * 4, p * 4 + 4), "calls of pass " + p);
            }
            assertTrue(calls.inputs.stream().allMatch(NDArray::isReleased),
                    "each call's rows are freed when the call returns, not when the pass ends");
        }
    }

    @Test
    void aPassWithinTheLimitIsOneCallOnTheSameArrays() {
        try (NDManager m = NDManager.newBaseManager()) {
            Recording network = new Recording(new StandInDenoiser(SCHEDULE, 0.5, 0, m, WIDTH, 16));
            NDArray x = m.randomNormal(new ai.djl.ndarray.types.Shape(4, 1, 4, 4));
            NDArray t = m.full(new ai.djl.ndarray.types.Shape(4), 0.5f);
            NDArray c = m.create(contexts(4), new ai.djl.ndarray.types.Shape(4, WIDTH));
            NDArray eps = new ChunkedDenoiser(network, 4).predictNoise(x, t, c);
            assertEquals(List.of(4L), network.rows);
            assertSame(x, network.inputs.get(0));
            assertEquals(x.getShape(), eps.getShape());
        }
    }

    @Test
    void refusesCallsOfNoRows() {
        Denoiser none = (x, t, c) -> x;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ChunkedDenoiser(none, 0));
        assertEquals("rows per network call must be at least 1, got 0", e.getMessage());
    }
}
