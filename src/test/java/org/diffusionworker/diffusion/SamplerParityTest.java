package org.diffusionworker.diffusion;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.util.Map;
import org.diffusionworker.model.LoadedModel;
import org.diffusionworker.model.ModelLoader;
import org.diffusionworker.model.ModelSpec;
import org.diffusionworker.testing.Fixtures;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Sampling from the same starting noise ends where the PyTorch original ends. */
class SamplerParityTest {

    private static final float SAMPLE_TOLERANCE = 1e-3f;

    @ParameterizedTest
    @ValueSource(strings = {"rgb16", "gray28"})
    void ddimFromGivenNoiseMatchesPyTorch(String config) {
        try (LoadedModel model = load(config); NDManager m = model.manager().newSubManager()) {
            Map<String, NDArray> f = Fixtures.arrays(m, config, "ddim.npz");
            NoiseSchedule schedule = schedule(model.spec());
            Sampler sampler = new DdimSampler(schedule, (int) f.get("steps").getLong(), 0);
            NDArray x = run(sampler, schedule, model::predictNoise, f.get("x_T"), f.get("c"), null, new ClassifierFreeGuidance(0));
            assertClose(f.get("x0"), x);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"rgb16", "gray28"})
    void ddpmWithGivenPerStepNoiseMatchesPyTorch(String config) {
        try (LoadedModel model = load(config); NDManager m = model.manager().newSubManager()) {
            Map<String, NDArray> f = Fixtures.arrays(m, config, "ddpm.npz");
            NoiseSchedule schedule = schedule(model.spec());
            NDArray x = run(new DdpmSampler(schedule), schedule, model::predictNoise, f.get("x_T"), f.get("c"), f.get("z"),
                    new ClassifierFreeGuidance(0));
            assertClose(f.get("x0"), x);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"rgb16", "gray28"})
    void guidedDdimOnDoubledBatchMatchesPyTorch(String config) {
        try (LoadedModel model = load(config); NDManager m = model.manager().newSubManager()) {
            Map<String, NDArray> f = Fixtures.arrays(m, config, "guidance.npz");
            NoiseSchedule schedule = schedule(model.spec());
            NDArray x = run(new DdimSampler(schedule, 20, 0), schedule, model::predictNoise, f.get("x_T"), f.get("c"), null,
                    new ClassifierFreeGuidance(f.get("w").getFloat()));
            assertClose(f.get("x0"), x);
        }
    }

    private static NDArray run(Sampler sampler, NoiseSchedule schedule, Denoiser denoiser, NDArray xT, NDArray c,
            NDArray z, ClassifierFreeGuidance guidance) {
        NDArray x = xT;
        int batch = Math.toIntExact(x.getShape().get(0));
        SamplerHistory history = sampler.newHistory();
        for (int t : sampler.timesteps()) {
            NDArray time = x.getManager().full(new Shape(batch), (float) t / schedule.timesteps());
            NDArray eps = guidance.predict(denoiser, x, time, c);
            // The fixture's z[k] is the noise of step t = T - k.
            NDArray noise = sampler.needsNoise(t) ? z.get(new NDIndex(schedule.timesteps() - t)) : null;
            x = sampler.step(eps, t, x, noise, history).previous();
        }
        return x;
    }

    private static void assertClose(NDArray expected, NDArray actual) {
        float diff = Fixtures.maxAbsDiff(expected, actual);
        float scale = expected.abs().max().getFloat();
        assertTrue(diff < SAMPLE_TOLERANCE, "max |java - torch| = " + diff + " (values up to " + scale + ")");
    }

    private static LoadedModel load(String config) {
        return ModelLoader.fromStateDict(Fixtures.stateDict(config), Fixtures.spec(config), Device.cpu());
    }

    private static NoiseSchedule schedule(ModelSpec spec) {
        return new NoiseSchedule(spec.schedule().timesteps(), spec.schedule().beta1(), spec.schedule().beta2());
    }
}
