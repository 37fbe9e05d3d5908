package org.diffusionworker.app;

import org.diffusionworker.diffusion.SamplerKind;
import org.eclipse.microprofile.config.spi.Converter;

/**
 * Reads a sampler as requests write it ({@code ddim}, {@code dpmpp-2m}, ...): SmallRye's own enum conversion would
 * want {@code dpmpp-2-m}.
 */
public final class SamplerKindConverter implements Converter<SamplerKind> {

    @Override
    public SamplerKind convert(String value) {
        return SamplerKind.parse(value);
    }
}
