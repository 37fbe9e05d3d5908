package org.diffusionworker.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;

/** The Java ContextUnet with loaded (or freshly initialised) weights, frozen for inference. */
final class NativeContextUnetModel implements LoadedModel {

    private final ModelSpec spec;
    private final ContextUnet network;
    private final NDManager manager;
    private final ParameterStore parameters;
    private final String weightsSha256;

    NativeContextUnetModel(ModelSpec spec, ContextUnet network, NDManager manager, String weightsSha256) {
        this(spec, network, manager, weightsSha256, true);
    }

    /** @param foldBatchNorm fold each BatchNorm into its convolution (false only to measure what that saves) */
    NativeContextUnetModel(ModelSpec spec, ContextUnet network, NDManager manager, String weightsSha256,
            boolean foldBatchNorm) {
        this.spec = spec;
        this.network = network;
        this.manager = manager;
        this.weightsSha256 = weightsSha256;
        // Frozen parameters never record an autograd graph, whatever the thread's grad mode.
        network.freezeParameters(true);
        if (foldBatchNorm) {
            network.foldBatchNormForInference(manager);
        }
        this.parameters = new ParameterStore(manager, false);
    }

    @Override
    public ModelSpec spec() {
        return spec;
    }

    @Override
    public NDManager manager() {
        return manager;
    }

    @Override
    public String weightsSha256() {
        return weightsSha256;
    }

    /** The network itself, e.g. to save its weights. */
    ContextUnet network() {
        return network;
    }

    @Override
    public NDArray predictNoise(NDArray x, NDArray t, NDArray c) {
        return network.forward(parameters, new NDList(x, t, c), false).singletonOrThrow();
    }

    @Override
    public void close() {
        manager.close();
    }
}
