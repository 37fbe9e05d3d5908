package org.diffusionworker.worker;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.concurrent.atomic.AtomicInteger;
import org.diffusionworker.model.LoadedModel;
import org.diffusionworker.model.ModelSpec;

/** A real model whose next forward passes fail on request: an engine fault, injected. */
final class FlakyModel implements LoadedModel {

    private final LoadedModel model;
    private final AtomicInteger failures = new AtomicInteger();

    FlakyModel(LoadedModel model) {
        this.model = model;
    }

    /** The next {@code n} forward passes throw. */
    void failNext(int n) {
        failures.set(n);
    }

    @Override
    public NDArray predictNoise(NDArray x, NDArray t, NDArray c) {
        if (failures.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            throw new IllegalStateException("injected engine fault");
        }
        return model.predictNoise(x, t, c);
    }

    @Override
    public ModelSpec spec() {
        return model.spec();
    }

    @Override
    public Device device() {
        return model.device();
    }

    @Override
    public NDManager manager() {
        return model.manager();
    }

    @Override
    public String weightsSha256() {
        return model.weightsSha256();
    }

    @Override
    public void close() {
        model.close();
    }
}
