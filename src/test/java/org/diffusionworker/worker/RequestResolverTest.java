package org.diffusionworker.worker;

import static org.diffusionworker.worker.GenerationWorkerTest.laidOut;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.diffusionworker.diffusion.SamplerKind;
import org.diffusionworker.diffusion.SamplerSettings;
import org.diffusionworker.generation.Conditioning;
import org.diffusionworker.model.ModelSpec;
import org.junit.jupiter.api.Test;

/** Defaults a request leaves to the worker: where the preset's and the standard steps come from. */
class RequestResolverTest {

    private static final ModelSpec SPEC = new ModelSpec("resolver", new ModelSpec.Architecture("ContextUnet", 1, 16, 2,
            16), List.of("a", "b"), new ModelSpec.Schedule(100, 1e-4, 0.02), null, Map.of(), null, null);

    private static WorkerSettings settings(int defaultSteps, int fastSteps) {
        WorkerSettings d = WorkerSettings.defaults();
        return new WorkerSettings(d.maxBatchImages(), d.maxQueueDelay(), d.policy(), d.maxPendingImages(),
                d.maxCount(), d.maxSteps(), defaultSteps, fastSteps, d.storageOutageLimit(),
                d.storageRetryInterval(), d.uploadThreads(), d.samplingAttempts(), d.samplingRetryBackoff());
    }

    /** A request for label "a" asking for {@code sampler}, {@code steps} and {@code preset} (null: not named). */
    private static GenerationRequest asking(SamplerKind sampler, Integer steps, SamplingPreset preset) {
        return GenerationRequest.of("r", Conditioning.label("a"))
                .with(new SamplingParameters(sampler, steps, preset, 0, 0, null));
    }

    private static int stepsOf(WorkerSettings settings, GenerationRequest request) {
        return new RequestResolver(settings, SPEC).resolve(request, outcome -> {}, 0).sampler().steps();
    }

    @Test
    void theFastPresetTakesTheWorkersFastStepsAndExplicitStepsWin() {
        GenerationRequest plain = GenerationRequest.of("r", Conditioning.label("a"));
        GenerationRequest fast = asking(SamplerKind.DDIM, null, SamplingPreset.FAST);
        assertEquals(30, stepsOf(settings(30, 12), plain));
        assertEquals(12, stepsOf(settings(30, 12), fast));
        assertEquals(9, stepsOf(settings(30, 9), fast), "a worker configured otherwise retunes the preset");
        assertEquals(40, stepsOf(settings(30, 12), asking(SamplerKind.DDIM, 40, SamplingPreset.FAST)));
        // Never more than the model's T (100 here), as for the standard steps.
        assertEquals(100, stepsOf(settings(500, 200).withBatching(64, Duration.ZERO, BatchingPolicy.MIXED), fast));
    }

    @Test
    void thePresetsChooseTheSamplerOfARequestThatNamesNone() {
        WorkerSettings solvers = settings(25, 15).withPresets(SamplerKind.UNIPC, SamplerKind.DPMPP_2M, 8);
        GenerationRequest unnamed = asking(null, null, null);
        assertEquals(SamplerSettings.of(SamplerKind.UNIPC, 25), resolved(solvers, unnamed));
        assertEquals(SamplerSettings.of(SamplerKind.DPMPP_2M, 8),
                resolved(solvers, asking(null, null, SamplingPreset.FAST)));
        // A named sampler keeps its own fast steps: DDIM's are fast-steps, the solvers' fast-solver-steps.
        assertEquals(SamplerSettings.ddim(15, 0),
                resolved(solvers, asking(SamplerKind.DDIM, null, SamplingPreset.FAST)));
        assertEquals(SamplerSettings.of(SamplerKind.UNIPC, 8),
                resolved(solvers, asking(SamplerKind.UNIPC, null, SamplingPreset.FAST)));
        assertEquals(SamplerSettings.ddim(25, 0), resolved(settings(25, 15), unnamed), "DDIM unless configured");
        assertEquals("unipc", ResultStore.samplerId(resolved(solvers, unnamed)));
    }

    @Test
    void etaWithoutASamplerMeansDdimWhateverThePreset() {
        WorkerSettings solvers = settings(25, 15).withPresets(SamplerKind.UNIPC, SamplerKind.UNIPC, 8);
        GenerationRequest withEta = new GenerationRequest("r", Conditioning.label("a"), 1,
                new SamplingParameters(null, null, null, 0.5, 0, null), null, null, null, Map.of(), null);
        assertEquals(SamplerSettings.ddim(25, 0.5), resolved(solvers, withEta));
    }

    @Test
    void solverStepsBeyondTheLimitAreRefusedNamingTheSampler() {
        RequestRejectedException e = assertThrows(RequestRejectedException.class, () -> resolved(settings(25, 15),
                asking(SamplerKind.DPMPP_2M, 101, null)));
        assertEquals(ErrorCode.LIMIT_EXCEEDED, e.code());
        assertTrue(e.getMessage().contains("dpmpp-2m steps must be at most 100"), e.getMessage());
    }

    private static SamplerSettings resolved(WorkerSettings settings, GenerationRequest request) {
        return new RequestResolver(settings, SPEC).resolve(request, outcome -> {}, 0).sampler();
    }

    @Test
    void fastStepsOutsideOneToTheStepLimitAreRefusedWhenTheWorkerIsBuilt() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> settings(25, 0));
        assertTrue(e.getMessage().contains("fastDdimSteps"), e.getMessage());
    }

    @Test
    void ddpmCannotBeFast() {
        RequestRejectedException e = assertThrows(RequestRejectedException.class,
                () -> asking(SamplerKind.DDPM, null, SamplingPreset.FAST));
        assertEquals(ErrorCode.INVALID_REQUEST, e.code());
        assertTrue(e.getMessage().contains("ddpm"), e.getMessage());
    }

    @Test
    void theLayoutIsPartOfTheFingerprintExceptForTheDefaultGrid() {
        GenerationRequest grid = GenerationRequest.of("r", Conditioning.label("a"))
                .with(new SamplingParameters(SamplerKind.DDIM, null, null, 0, 0, 7L));
        RequestResolver resolver = new RequestResolver(settings(25, 15), SPEC);
        String gridPrint = resolver.resolve(grid, outcome -> {}, 0).fingerprint();
        // What workers wrote before layouts existed: a grid stored by one of them is still answered from.
        assertEquals("87c60bf7141eccec9764ee785c5edd5c78a8f5d67cd0678b83e71f3a3e6e9fcc", gridPrint);
        String imagesPrint = resolver.resolve(laidOut(grid, ResultLayout.IMAGES), outcome -> {}, 0).fingerprint();
        String bothPrint = resolver.resolve(laidOut(grid, ResultLayout.BOTH), outcome -> {}, 0).fingerprint();
        assertEquals(3, java.util.Set.of(gridPrint, imagesPrint, bothPrint).size(), "each layout its own fingerprint");
        assertEquals(ResultLayout.BOTH, resolver.resolve(laidOut(grid, ResultLayout.BOTH), outcome -> {}, 0)
                .parameters().layout());
        assertEquals(ResultLayout.GRID, laidOut(grid, null).delivery().layout(), "absent means grid");
    }
}
