package org.diffusionworker.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.util.Map;
import org.diffusionworker.diffusion.SamplerKind;
import org.junit.jupiter.api.Test;

/** The presets' sampler keys read sampler ids as requests write them, and their defaults are the measured ones. */
class SamplerLimitsConfigTest {

    @Test
    void presetSamplersAreReadByIdAndDefaultToTheMeasuredOnes() {
        WorkerConfig.Limits defaults = limits(Map.of());
        assertEquals(SamplerKind.DDIM, defaults.defaultSampler());
        assertEquals(SamplerKind.UNIPC, defaults.fastSampler());
        assertEquals(5, defaults.fastSolverSteps());
        WorkerConfig.Limits set = limits(Map.of("diffusionworker.limits.default-sampler", "dpmpp-2m",
                "diffusionworker.limits.fast-sampler", "ddim"));
        assertEquals(SamplerKind.DPMPP_2M, set.defaultSampler());
        assertEquals(SamplerKind.DDIM, set.fastSampler());
    }

    @Test
    void anUnknownSamplerStopsTheConfigurationNamingTheKey() {
        RuntimeException e = assertThrows(RuntimeException.class,
                () -> limits(Map.of("diffusionworker.limits.fast-sampler", "euler")));
        assertTrue(e.getMessage().contains("fast-sampler"), e.getMessage());
    }

    private static WorkerConfig.Limits limits(Map<String, String> values) {
        SmallRyeConfig config = new SmallRyeConfigBuilder().withMapping(WorkerConfig.Limits.class,
                "diffusionworker.limits").withDefaultValues(values).build();
        return config.getConfigMapping(WorkerConfig.Limits.class, "diffusionworker.limits");
    }
}
