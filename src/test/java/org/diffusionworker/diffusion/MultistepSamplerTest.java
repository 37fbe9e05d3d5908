package org.diffusionworker.diffusion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import org.diffusionworker.testing.StandInDenoiser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class MultistepSamplerTest {

    private static final NoiseSchedule SCHEDULE = new NoiseSchedule(500, 1e-4, 0.02);
    private static final Shape SHAPE = new Shape(3, 1, 4, 4);
    private static final double S = 0.5;

    @ParameterizedTest
    @EnumSource(value = SamplerKind.class, names = {"DPMPP_2M", "UNIPC"})
    void secondOrderSolversEndNearerTheExactOdeSolutionThanDdim(SamplerKind kind) {
        // For Gaussian data the probability-flow ODE is solved in closed form: x_0 = mu + s z,
        // z = (x_T - alpha_T mu) / sqrt(alpha_T^2 s^2 + sigma_T^2).
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray xT = m.randomNormal(SHAPE);
            NDArray c = m.create(new float[] {1, 0, 0, 0.6f, 0.4f, 0, 0, 0, 0}, new Shape(3, 3));
            StandInDenoiser gaussian = new StandInDenoiser(SCHEDULE, S, 0, m, 3, 16);
            NDArray mu = gaussian.mean(c, SHAPE);
            double abT = SCHEDULE.alphaBar(500);
            NDArray exact = mu.add(xT.sub(mu.mul((float) Math.sqrt(abT)))
                    .div((float) Math.sqrt(abT * S * S + 1 - abT)).mul((float) S));
            for (int steps : new int[] {10, 20}) {
                float ddim = error(SamplerSettings.ddim(steps, 0), gaussian, xT, c, exact);
                float solver = error(SamplerSettings.of(kind, steps), gaussian, xT, c, exact);
                assertTrue(solver < ddim / (steps == 10 ? 1.5f : 3f),
                        kind.id() + "-" + steps + " error " + solver + ", DDIM-" + steps + " " + ddim);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = SamplerKind.class, names = {"DPMPP_2M", "UNIPC"})
    void theLoopCarriesTheHistoryAcrossItsPerStepManagers(SamplerKind kind) {
        try (NDManager m = NDManager.newBaseManager()) {
            List<ImageNoise.ImageSeed> seeds = List.of(new ImageNoise.ImageSeed(7, 0), new ImageNoise.ImageSeed(7, 1));
            float[] contexts = {1, 0, 0, 0, 0.5f, 0.5f};
            StandInDenoiser standIn = new StandInDenoiser(SCHEDULE, S, 0.1, m, 3, 16);
            Sampler sampler = SamplerSettings.of(kind, 8).create(SCHEDULE);
            ClassifierFreeGuidance guidance = new ClassifierFreeGuidance(1);
            float[] looped = SamplingLoop.run(standIn, SCHEDULE, sampler, guidance, new ImageNoise(seeds, 1, 4, 4),
                    contexts, 3, m, null, SamplingLoop.StepListener.NONE);
            NDArray c = m.create(contexts, new Shape(2, 3));
            NDArray direct = direct(sampler, standIn, guidance, new ImageNoise(seeds, 1, 4, 4).next(m), c, -1, null);
            assertArrayEquals(direct.toFloatArray(), looped, 1e-6f);
        }
    }

    @ParameterizedTest
    @EnumSource(value = SamplerKind.class, names = {"DPMPP_2M", "UNIPC"})
    void imagesDroppedBetweenStepsLeaveTheOthersAsTheyWouldHaveBeen(SamplerKind kind) {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray xT = m.randomNormal(SHAPE);
            NDArray c = m.create(new float[] {1, 0, 0, 0.6f, 0.4f, 0, 0, 0, 1}, new Shape(3, 3));
            StandInDenoiser standIn = new StandInDenoiser(SCHEDULE, S, 0.1, m, 3, 16);
            Sampler sampler = SamplerSettings.of(kind, 10).create(SCHEDULE);
            ClassifierFreeGuidance guidance = new ClassifierFreeGuidance(2);
            NDArray all = direct(sampler, standIn, guidance, xT, c, -1, null);
            // Drop image 1 after the fourth step, once the history holds two steps.
            NDArray kept = m.create(new long[] {0, 2});
            NDArray dropped = direct(sampler, standIn, guidance, xT, c, 4, kept);
            assertArrayEquals(all.get("0").toFloatArray(), dropped.get("0").toFloatArray(), 1e-6f);
            assertArrayEquals(all.get("2").toFloatArray(), dropped.get("1").toFloatArray(), 1e-6f);
        }
    }

    @Test
    void oneSamplerServesInterleavedRunsAsIfEachRanAlone() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray c = m.create(new float[] {1, 0, 0, 0.6f, 0.4f, 0, 0, 0, 1}, new Shape(3, 3));
            StandInDenoiser standIn = new StandInDenoiser(SCHEDULE, S, 0.1, m, 3, 16);
            Sampler shared = SamplerSettings.of(SamplerKind.UNIPC, 6).create(SCHEDULE);
            NDArray a = m.randomNormal(SHAPE);
            NDArray b = m.randomNormal(SHAPE);
            SamplerHistory ha = shared.newHistory();
            SamplerHistory hb = shared.newHistory();
            NDArray xa = a;
            NDArray xb = b;
            for (int t : shared.timesteps()) {
                NDArray time = m.full(new Shape(3), (float) t / 500);
                xa = shared.step(standIn.predictNoise(xa, time, c), t, xa, null, ha).previous();
                xb = shared.step(standIn.predictNoise(xb, time, c), t, xb, null, hb).previous();
            }
            ClassifierFreeGuidance none = new ClassifierFreeGuidance(0);
            assertArrayEquals(direct(shared, standIn, none, a, c, -1, null).toFloatArray(), xa.toFloatArray(), 1e-6f);
            assertArrayEquals(direct(shared, standIn, none, b, c, -1, null).toFloatArray(), xb.toFloatArray(), 1e-6f);
        }
    }

    @Test
    void invalidCombinationsAreRejectedNamingThem() {
        IllegalArgumentException eta = assertThrows(IllegalArgumentException.class,
                () -> new SamplerSettings(SamplerKind.DPMPP_2M, 10, 0.5));
        assertTrue(eta.getMessage().contains("eta") && eta.getMessage().contains("dpmpp-2m"), eta.getMessage());
        IllegalArgumentException spacing = assertThrows(IllegalArgumentException.class,
                () -> new SamplerSettings(SamplerKind.DDIM, 10, 0, TimestepSpacing.LOG_SNR));
        assertTrue(spacing.getMessage().contains("spacing") && spacing.getMessage().contains("ddim"));
        IllegalArgumentException steps = assertThrows(IllegalArgumentException.class,
                () -> SamplerSettings.of(SamplerKind.UNIPC, 501).create(SCHEDULE));
        assertTrue(steps.getMessage().contains("unipc steps must be 1..500"), steps.getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SamplerKind.parse("dpm++"))
                .getMessage().contains("ddpm, ddim, dpmpp-2m, unipc"));
    }

    @Test
    void samplerIdsRoundTrip() {
        for (SamplerKind kind : SamplerKind.values()) {
            assertEquals(kind, SamplerKind.parse(kind.id().toUpperCase(java.util.Locale.ROOT)));
        }
        assertEquals("dpmpp-2m", SamplerKind.DPMPP_2M.id());
    }

    @ParameterizedTest
    @EnumSource(TimestepSpacing.class)
    void spacingsStartAtTAndStayDistinctUpToTSteps(TimestepSpacing spacing) {
        for (int steps : new int[] {1, 5, 25, 250, 499, 500}) {
            int[] t = spacing.timesteps(SCHEDULE, steps);
            assertEquals(steps, t.length);
            assertEquals(500, t[0]);
            assertTrue(t[steps - 1] >= 1);
            for (int i = 1; i < steps; i++) {
                assertTrue(t[i] < t[i - 1], spacing + " " + steps + " steps: " + t[i - 1] + " then " + t[i]);
            }
        }
    }

    @Test
    void logSnrSpacingIsDenserNearTheCleanEndThanTrailing() {
        int[] logSnr = TimestepSpacing.LOG_SNR.timesteps(SCHEDULE, 10);
        int[] trailing = TimestepSpacing.TRAILING.timesteps(SCHEDULE, 10);
        assertTrue(logSnr[9] < trailing[9] && logSnr[5] < trailing[5], java.util.Arrays.toString(logSnr));
        // Equal steps in lambda: the first and the last interval span the same log-SNR up to rounding.
        double first = SCHEDULE.lambda(logSnr[1]) - SCHEDULE.lambda(logSnr[0]);
        double last = SCHEDULE.lambda(logSnr[9]) - SCHEDULE.lambda(logSnr[8]);
        assertEquals(first, last, 0.05 * first);
    }

    private static float error(SamplerSettings settings, Denoiser denoiser, NDArray xT, NDArray c, NDArray exact) {
        Sampler sampler = settings.create(SCHEDULE);
        return direct(sampler, denoiser, new ClassifierFreeGuidance(0), xT, c, -1, null).sub(exact).abs().max()
                .getFloat();
    }

    /** A plain loop over the sampler; after {@code dropAfter} steps only the rows {@code keep} go on. */
    private static NDArray direct(Sampler sampler, Denoiser denoiser, ClassifierFreeGuidance guidance, NDArray xT,
            NDArray c, int dropAfter, NDArray keep) {
        NDArray x = xT;
        NDArray context = c;
        SamplerHistory history = sampler.newHistory();
        int done = 0;
        for (int t : sampler.timesteps()) {
            if (done == dropAfter) {
                x = x.get(new ai.djl.ndarray.index.NDIndex("{}", keep));
                context = context.get(new ai.djl.ndarray.index.NDIndex("{}", keep));
                history.keepRows(keep);
            }
            NDArray time = x.getManager().full(new Shape(x.getShape().get(0)), (float) t / SCHEDULE.timesteps());
            x = sampler.step(guidance.predict(denoiser, x, time, context), t, x, null, history).previous();
            done++;
        }
        return x;
    }
}
