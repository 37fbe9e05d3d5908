package org.diffusionworker.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * A ContextUnet ready to predict noise on one device, whichever way its weights were loaded.
 *
 * <p>Not thread-safe: one inference thread owns it.
 */
public interface LoadedModel extends AutoCloseable {

    ModelSpec spec();

    /** The device the weights live on (their manager's); inputs must be created there. */
    default Device device() {
        return manager().getDevice();
    }

    /** A long-lived manager on {@link #device()}, for callers to open per-batch sub-managers. */
    NDManager manager();

    /** SHA-256 of the weight file, or a description for weights that have no file. */
    String weightsSha256();

    /**
     * Predicts the noise in {@code x [B, C, H, W]} at times {@code t [B]} (step over T) under
     * context {@code c [B, n_cfeat]}. The result lives in {@code x}'s manager.
     */
    NDArray predictNoise(NDArray x, NDArray t, NDArray c);

    @Override
    void close();
}
