package org.diffusionworker.generation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.diffusionworker.diffusion.ClassifierFreeGuidance;
import org.diffusionworker.diffusion.SamplerSettings;
import org.diffusionworker.model.ModelLoader;
import org.diffusionworker.testing.Fixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class GenerationEngineTest {

    private static GenerationEngine engine;

    @BeforeAll
    static void load() {
        engine = new GenerationEngine(
                ModelLoader.fromStateDict(Fixtures.stateDict("rgb16"), Fixtures.spec("rgb16"), Device.cpu()));
    }

    @AfterAll
    static void close() {
        engine.close();
    }

    private static List<ImageSlot> request(Conditioning conditioning, long seed, int count) {
        float[] c = engine.contextVector(conditioning);
        List<ImageSlot> slots = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            slots.add(new ImageSlot(c, seed, i));
        }
        return slots;
    }

    private static GeneratedImages run(SamplerSettings sampler, double guidance, List<ImageSlot> images) {
        return engine.generate(new BatchPlan(sampler, new ClassifierFreeGuidance(guidance), 0, images), SamplingProgress.NONE);
    }

    private static float[] image(GeneratedImages images, int index) {
        int n = images.valuesPerImage();
        return Arrays.copyOfRange(images.pixels(), index * n, (index + 1) * n);
    }

    @Test
    void sameRequestAloneAndInsideMixedBatchGivesSamePixels() {
        SamplerSettings ddim = SamplerSettings.ddim(10, 0.5);
        List<ImageSlot> mine = request(Conditioning.label("food"), 42, 3);
        GeneratedImages alone = run(ddim, 1.0, mine);

        List<ImageSlot> mixed = new ArrayList<>(request(Conditioning.label("hero"), 7, 2));
        mixed.addAll(mine);
        mixed.addAll(request(Conditioning.unconditional(), 9, 2));
        GeneratedImages together = run(ddim, 1.0, mixed);

        for (int i = 0; i < 3; i++) {
            float[] a = image(alone, i);
            float[] b = image(together, 2 + i);
            float diff = 0;
            for (int j = 0; j < a.length; j++) {
                diff = Math.max(diff, Math.abs(a[j] - b[j]));
            }
            assertTrue(diff < 1e-4f, "image " + i + " differs by " + diff + " when batched with others");
        }
    }

    @Test
    void ddimWithEtaZeroIsDeterministic() {
        List<ImageSlot> images = request(Conditioning.label("spell"), 5, 2);
        assertArrayEquals(run(SamplerSettings.ddim(5, 0), 0, images).pixels(),
                run(SamplerSettings.ddim(5, 0), 0, images).pixels());
    }

    @Test
    void differentSeedsOrIndicesGiveDifferentImages() {
        GeneratedImages a = run(SamplerSettings.ddim(5, 0), 0, request(Conditioning.label("spell"), 5, 2));
        GeneratedImages b = run(SamplerSettings.ddim(5, 0), 0, request(Conditioning.label("spell"), 6, 2));
        assertNotEquals(Arrays.toString(image(a, 0)), Arrays.toString(image(b, 0)));
        assertNotEquals(Arrays.toString(image(a, 0)), Arrays.toString(image(a, 1)));
    }

    @Test
    void trajectoryKeepsStartEveryKStepsAndEnd() {
        GeneratedImages images = engine.generate(new BatchPlan(SamplerSettings.ddim(10, 0), new ClassifierFreeGuidance(0), 4,
                request(Conditioning.unconditional(), 1, 2)), SamplingProgress.NONE);
        // Start, after steps 4 and 8, and after the last (10th) step.
        assertEquals(4, images.trajectory().size());
        assertArrayEquals(images.pixels(), images.trajectory().get(3));
        assertEquals(2 * 3 * 16 * 16, images.trajectory().get(0).length);
    }

    @Test
    void noTrajectoryUnlessAsked() {
        assertTrue(run(SamplerSettings.ddim(3, 0), 0, request(Conditioning.unconditional(), 1, 1)).trajectory().isEmpty());
    }

    @Test
    void progressIsReportedOncePerStep() {
        List<Integer> steps = new ArrayList<>();
        engine.generate(new BatchPlan(SamplerSettings.ddim(7, 0), new ClassifierFreeGuidance(0), 0,
                request(Conditioning.unconditional(), 1, 1)), (done, total, nanos) -> {
                    assertEquals(7, total);
                    steps.add(done);
                });
        assertEquals(List.of(1, 2, 3, 4, 5, 6, 7), steps);
    }

    @Test
    void mixedContextWeightsLandOnTheirLabels() {
        float[] v = engine.contextVector(Conditioning.parseMix("food=0.6, spell=0.4"));
        assertArrayEquals(new float[] {0, 0, 0.6f, 0.4f, 0}, v);
    }

    @Test
    void unknownLabelIsRejectedListingKnownLabels() {
        UnknownLabelException e = assertThrows(UnknownLabelException.class,
                () -> engine.contextVector(Conditioning.label("sneaker")));
        assertTrue(e.getMessage().contains("'sneaker'") && e.getMessage().contains("hero, non-hero"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Conditioning.parseMix("food=abc"));
        assertThrows(IllegalArgumentException.class, () -> Conditioning.mix(Map.of("food", 1.5)));
    }

    @Test
    void ddimStepsBeyondTheScheduleAreRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> run(SamplerSettings.ddim(501, 0), 0, request(Conditioning.unconditional(), 1, 1)));
        assertTrue(e.getMessage().contains("1..500"), e.getMessage());
    }

    /** Cancels the images {@code [from, to)} of the plan from step {@code at} on, as the worker's hook does. */
    private static SamplingProgress leavingAt(int at, int from, int to) {
        int[] done = {0};
        java.util.BitSet leaving = new java.util.BitSet();
        return new SamplingProgress() {
            @Override
            public void onStep(int step, int total, long stepNanos) {
                done[0] = step;
                if (step == at) {
                    leaving.set(from, to);
                }
            }

            @Override
            public java.util.BitSet leaving() {
                return leaving.isEmpty() ? null : leaving;
            }
        };
    }

    @Test
    void imagesLeavingMidDdpmDoNotChangeTheirNeighboursAndComeBackAsLeft() {
        SamplerSettings ddpm = SamplerSettings.ddpm(engine.schedule().timesteps());
        List<ImageSlot> canceled = request(Conditioning.label("food"), 3, 2);
        List<ImageSlot> neighbour = request(Conditioning.label("spell"), 9, 2);
        List<ImageSlot> batch = new ArrayList<>(neighbour.subList(0, 1));
        batch.addAll(canceled);
        batch.addAll(neighbour.subList(1, 2));
        GeneratedImages together = engine.generate(new BatchPlan(ddpm, new ClassifierFreeGuidance(0), 0, batch),
                leavingAt(engine.schedule().timesteps() / 2, 1, 3));
        GeneratedImages alone = run(ddpm, 0, neighbour);

        assertEquals(java.util.BitSet.valueOf(new long[] {0b0110}), together.left());
        assertMaxDifference(image(alone, 0), image(together, 0), 1e-4);
        assertMaxDifference(image(alone, 1), image(together, 3), 1e-4);
        float[] zeros = new float[together.valuesPerImage()];
        assertArrayEquals(zeros, image(together, 1), "a canceled image's pixels are not returned");
        assertArrayEquals(zeros, image(together, 2));
    }

    @Test
    void imagesLeavingAMultistepBatchTakeTheirRowsOfTheSolverHistoryWithThem() {
        for (org.diffusionworker.diffusion.SamplerKind kind : List.of(org.diffusionworker.diffusion.SamplerKind.DPMPP_2M,
                org.diffusionworker.diffusion.SamplerKind.UNIPC)) {
            SamplerSettings solver = SamplerSettings.of(kind, 10);
            List<ImageSlot> neighbour = request(Conditioning.label("spell"), 9, 2);
            List<ImageSlot> batch = new ArrayList<>(request(Conditioning.label("food"), 3, 2));
            batch.addAll(neighbour);
            GeneratedImages together = engine.generate(new BatchPlan(solver, new ClassifierFreeGuidance(1.0), 0, batch),
                    leavingAt(4, 0, 2));
            GeneratedImages alone = run(solver, 1.0, neighbour);
            assertMaxDifference(image(alone, 0), image(together, 2), 1e-4);
            assertMaxDifference(image(alone, 1), image(together, 3), 1e-4);
        }
    }

    @Test
    void whenEveryImageLeavesTheBatchStopsAtTheNextStep() {
        int[] steps = {0};
        java.util.BitSet all = new java.util.BitSet();
        all.set(0, 2);
        GeneratedImages none = engine.generate(new BatchPlan(SamplerSettings.ddim(20, 0), new ClassifierFreeGuidance(0),
                5, request(Conditioning.unconditional(), 1, 2)), new SamplingProgress() {
                    @Override
                    public void onStep(int done, int total, long stepNanos) {
                        steps[0] = done;
                    }

                    @Override
                    public java.util.BitSet leaving() {
                        return steps[0] >= 3 ? all : null;
                    }
                });
        assertEquals(3, steps[0], "no step after every image left");
        assertEquals(all, none.left());
    }

    @Test
    void trajectoryFramesKeepTheirSlotsWhenImagesLeave() {
        SamplerSettings ddim = SamplerSettings.ddim(10, 0);
        List<ImageSlot> images = request(Conditioning.label("food"), 5, 3);
        GeneratedImages full = engine.generate(new BatchPlan(ddim, new ClassifierFreeGuidance(0), 2, images),
                SamplingProgress.NONE);
        GeneratedImages partial = engine.generate(new BatchPlan(ddim, new ClassifierFreeGuidance(0), 2, images),
                leavingAt(4, 1, 2));
        assertEquals(full.trajectory().size(), partial.trajectory().size());
        int n = full.valuesPerImage();
        for (int f = 0; f < full.trajectory().size(); f++) {
            float[] a = full.trajectory().get(f);
            float[] b = partial.trajectory().get(f);
            assertMaxDifference(Arrays.copyOfRange(a, 2 * n, 3 * n), Arrays.copyOfRange(b, 2 * n, 3 * n), 1e-4);
        }
    }

    private static void assertMaxDifference(float[] expected, float[] actual, double tolerance) {
        assertEquals(expected.length, actual.length);
        double max = 0;
        for (int i = 0; i < expected.length; i++) {
            max = Math.max(max, Math.abs(expected[i] - actual[i]));
        }
        assertTrue(max <= tolerance, "max |difference| " + max + " > " + tolerance);
    }
}
