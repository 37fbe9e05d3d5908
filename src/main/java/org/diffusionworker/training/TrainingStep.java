package org.diffusionworker.training;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.LocalParameterServer;
import ai.djl.training.ParameterStore;
import ai.djl.training.optimizer.Optimizer;
import org.diffusionworker.model.ContextUnet;
import org.diffusionworker.model.ContextUnetConfig;

/**
 * One optimiser step of the diffusion loss on a noised batch: the MSE between the noise and the
 * network's prediction of it, backward, then the optimiser on every parameter. Split into
 * {@link #backward} and {@link #update} so the gradients can be read in between (the parity tests
 * compare them with PyTorch's).
 *
 * <p>Gradients are zeroed by the optimiser's update (the engine's {@code zero_()}), as in DJL's
 * Trainer; a step therefore starts from zero gradients only after the previous one was updated.
 *
 * <p>The forward pass is the network's own blocks ({@link TrainingPrecision#FP32}) or, for
 * {@link TrainingPrecision#BF16}, a {@link ScriptedTrainingForward} over the same parameters; loss,
 * backward and the update are the same for both.
 */
public final class TrainingStep implements AutoCloseable {

    private final ContextUnet network;
    private final ParameterStore store;
    /** The scripted forward, or null when the network's blocks run it. */
    private final ScriptedTrainingForward scripted;

    /** A float32 step of {@code network} whose parameters {@code optimizer} updates on the manager's device. */
    public TrainingStep(ContextUnet network, Optimizer optimizer, NDManager manager) {
        this(network, optimizer, manager, TrainingPrecision.FP32);
    }

    /** A step in {@code precision}; close it to free a scripted forward. */
    public TrainingStep(ContextUnet network, Optimizer optimizer, NDManager manager, TrainingPrecision precision) {
        this(network, optimizer, manager, precision == TrainingPrecision.BF16
                ? ScriptedTrainingForward.bf16(network, manager.getDevice())
                : null);
    }

    /** A step whose forward is {@code scripted} (null: the network's blocks); the step closes it. */
    TrainingStep(ContextUnet network, Optimizer optimizer, NDManager manager, ScriptedTrainingForward scripted) {
        this.network = network;
        this.scripted = scripted;
        // As DJL's Trainer does: the parameter server applies the optimiser to every parameter
        // that has a gradient after backward.
        this.store = new ParameterStore(manager, false);
        store.setParameterServer(new LocalParameterServer(optimizer), new Device[] {manager.getDevice()});
    }

    /** The store the network's forward passes read their parameters from. */
    public ParameterStore store() {
        return store;
    }

    /** {@link #backward} then {@link #update}, the batch's arrays freed after; returns the loss. */
    public float run(DiffusionBatch batch, NDManager parent) {
        try (NDManager manager = parent.newSubManager()) {
            float loss = backward(batch, manager);
            update();
            return loss;
        }
    }

    /**
     * Forward (BatchNorm in training mode) and backward on {@code batch}, its arrays in
     * {@code manager}, which must stay open until {@link #update}; returns the loss.
     */
    public float backward(DiffusionBatch batch, NDManager manager) {
        ContextUnetConfig config = network.config();
        int size = batch.size();
        Shape images = new Shape(size, config.inChannels(), config.height(), config.height());
        NDArray noisy = manager.create(batch.noisy(), images);
        NDArray noise = manager.create(batch.noise(), images);
        NDArray time = manager.create(batch.time(), new Shape(size));
        NDArray context = manager.create(batch.context(), new Shape(size, config.nCfeat()));
        try (GradientCollector collector = manager.getEngine().newGradientCollector()) {
            NDArray predicted = scripted != null
                    ? scripted.forward(store, noisy, time, context)
                    : network.forward(store, new NDList(noisy, time, context), true).singletonOrThrow();
            NDArray mse = predicted.sub(noise).square().mean();
            collector.backward(mse);
            return mse.getFloat();
        }
    }

    /** Applies the optimiser to every parameter from the gradients of the last {@link #backward}. */
    public void update() {
        store.updateAllParameters();
    }

    @Override
    public void close() {
        if (scripted != null) {
            scripted.close();
        }
    }
}
