package org.diffusionworker.model;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;

/** A ContextUnet traced to TorchScript from PyTorch with inputs {@code (x, t [B,1,1,1], c)}. */
final class TorchScriptContextUnetModel implements LoadedModel {

    private final ModelSpec spec;
    private final Model model;
    private final ParameterStore parameters;
    private final String weightsSha256;

    TorchScriptContextUnetModel(ModelSpec spec, Model model, String weightsSha256) {
        this.spec = spec;
        this.model = model;
        this.weightsSha256 = weightsSha256;
        this.parameters = new ParameterStore(model.getNDManager(), false);
    }

    @Override
    public ModelSpec spec() {
        return spec;
    }

    @Override
    public NDManager manager() {
        return model.getNDManager();
    }

    @Override
    public String weightsSha256() {
        return weightsSha256;
    }

    @Override
    public NDArray predictNoise(NDArray x, NDArray t, NDArray c) {
        // The traced graph takes t as the seed passes it: [B, 1, 1, 1].
        NDArray t4 = t.reshape(-1, 1, 1, 1);
        return model.getBlock().forward(parameters, new NDList(x, t4, c), false).singletonOrThrow();
    }

    @Override
    public void close() {
        model.close();
    }
}
