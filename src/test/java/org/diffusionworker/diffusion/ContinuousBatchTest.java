package org.diffusionworker.diffusion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import org.diffusionworker.testing.StandInDenoiser;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * Runs that share forward passes, each at its own step, end exactly where each would alone: the stand-in denoiser
 * treats every row at its own timestep, as the network does, so any mix-up of timesteps, noise streams or multistep
 * histories between runs shows.
 */
class ContinuousBatchTest {

    private static final NoiseSchedule SCHEDULE = new NoiseSchedule(500, 1e-4, 0.02);
    private static final int WIDTH = 3;

    private static SamplerSettings settings(String name) {
        return switch (name) {
            case "ddim" -> SamplerSettings.ddim(10, 0);
            case "ddim-eta1" -> SamplerSettings.ddim(10, 1);
            case "ddpm" -> SamplerSettings.ddpm(SCHEDULE.timesteps());
            default -> SamplerSettings.of(SamplerKind.parse(name), 10);
        };
    }

    private static ImageNoise noise(long seed, int images) {
        List<ImageNoise.ImageSeed> seeds = new ArrayList<>();
        for (int i = 0; i < images; i++) {
            seeds.add(new ImageNoise.ImageSeed(seed, i));
        }
        return new ImageNoise(seeds, 1, 4, 4);
    }

    @ParameterizedTest
    @ValueSource(strings = {"ddim", "ddim-eta1", "ddpm", "dpmpp-2m", "unipc"})
    void aRunThatJoinsAfterOthersStartedEndsAsItWouldAlone(String name) {
        try (NDManager m = NDManager.newBaseManager()) {
            StandInDenoiser standIn = new StandInDenoiser(SCHEDULE, 0.5, 0.1, m, WIDTH, 16);
            Sampler sampler = settings(name).create(SCHEDULE);
            ClassifierFreeGuidance guidance = new ClassifierFreeGuidance(1);
            float[] first = {1, 0, 0, 0, 1, 0};
            float[] second = {0.2f, 0.3f, 0.5f};
            float[] third = {0, 0, 1, 0.5f, 0.5f, 0};
            float[] aloneFirst = SamplingLoop.run(standIn, SCHEDULE, sampler, guidance, noise(7, 2), first, WIDTH, m,
                    null, SamplingLoop.StepListener.NONE);
            float[] aloneSecond = SamplingLoop.run(standIn, SCHEDULE, sampler, guidance, noise(8, 1), second, WIDTH, m,
                    null, SamplingLoop.StepListener.NONE);
            float[] aloneThird = SamplingLoop.run(standIn, SCHEDULE, sampler, guidance, noise(9, 2), third, WIDTH, m,
                    null, SamplingLoop.StepListener.NONE);

            int steps = sampler.timesteps().length;
            try (ContinuousBatch batch = new ContinuousBatch(standIn, SCHEDULE, sampler, guidance, WIDTH, m)) {
                ContinuousBatch.Run a = batch.join(noise(7, 2), first, null, SamplingLoop.StepListener.NONE,
                        SamplingLoop.RowFilter.KEEP_ALL);
                stepTimes(batch, 3);
                ContinuousBatch.Run b = batch.join(noise(8, 1), second, null, SamplingLoop.StepListener.NONE,
                        SamplingLoop.RowFilter.KEEP_ALL);
                stepTimes(batch, 1);
                ContinuousBatch.Run c = batch.join(noise(9, 2), third, null, SamplingLoop.StepListener.NONE,
                        SamplingLoop.RowFilter.KEEP_ALL);
                assertEquals(5, batch.rows(), "one pass over every run's rows");
                List<ContinuousBatch.Run> order = new ArrayList<>();
                while (!batch.isEmpty()) {
                    order.addAll(batch.step());
                }
                assertEquals(List.of(a, b, c), order, "each leaves after its own last step");
                assertEquals(steps, c.stepsDone());
                assertArrayEquals(aloneFirst, a.result().samples(), 1e-6f);
                assertArrayEquals(aloneSecond, b.result().samples(), 1e-6f);
                assertArrayEquals(aloneThird, c.result().samples(), 1e-6f);
            }
        }
    }

    @Test
    void rowsLeavingOneRunDoNotDisturbAnother() {
        try (NDManager m = NDManager.newBaseManager()) {
            StandInDenoiser standIn = new StandInDenoiser(SCHEDULE, 0.5, 0.1, m, WIDTH, 16);
            Sampler sampler = SamplerSettings.of(SamplerKind.DPMPP_2M, 8).create(SCHEDULE);
            ClassifierFreeGuidance guidance = new ClassifierFreeGuidance(0);
            float[] first = {1, 0, 0, 0, 1, 0};
            float[] second = {0, 0, 1, 0, 1, 0};
            float[] alone = SamplingLoop.run(standIn, SCHEDULE, sampler, guidance, noise(8, 2), second, WIDTH, m, null,
                    SamplingLoop.StepListener.NONE);
            try (ContinuousBatch batch = new ContinuousBatch(standIn, SCHEDULE, sampler, guidance, WIDTH, m)) {
                ContinuousBatch.Run leaving = batch.join(noise(7, 2), first, null, SamplingLoop.StepListener.NONE,
                        (done, total) -> done >= 2 ? new boolean[] {false, false} : null);
                stepTimes(batch, 1);
                ContinuousBatch.Run staying = batch.join(noise(8, 2), second, null, SamplingLoop.StepListener.NONE,
                        (done, total) -> done == 3 ? new boolean[] {false, true} : null);
                List<ContinuousBatch.Run> first2 = stepTimes(batch, 2);
                assertEquals(List.of(leaving), first2, "every row of it left: it ends at once");
                assertEquals(0, leaving.result().rows().length);
                while (!batch.isEmpty()) {
                    batch.step();
                }
                assertArrayEquals(new int[] {1}, staying.result().rows());
                float[] kept = java.util.Arrays.copyOfRange(alone, 16, 32);
                assertArrayEquals(kept, staying.result().samples(), 1e-6f);
            }
        }
    }

    @Test
    void contextsThatAreNotWholeRowsAreRefused() {
        try (NDManager m = NDManager.newBaseManager();
                ContinuousBatch batch = new ContinuousBatch(new StandInDenoiser(SCHEDULE, 0.5, 0, m, WIDTH, 16),
                        SCHEDULE, SamplerSettings.ddim(5, 0).create(SCHEDULE), new ClassifierFreeGuidance(0), WIDTH,
                        m)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> batch.join(noise(1, 1),
                    new float[] {1, 0}, null, SamplingLoop.StepListener.NONE, SamplingLoop.RowFilter.KEEP_ALL));
            assertTrue(e.getMessage().contains("not rows of 3"), e.getMessage());
        }
    }

    private static List<ContinuousBatch.Run> stepTimes(ContinuousBatch batch, int n) {
        List<ContinuousBatch.Run> finished = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            finished.addAll(batch.step());
        }
        return finished;
    }
}
