package org.diffusionworker.worker;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.concurrent.atomic.AtomicInteger;
import org.diffusionworker.model.LoadedModel;
import org.diffusionworker.model.ModelSpec;

/**
 * A real model whose next forward passes fail on request (an engine fault, injected), or which holds one forward pass
 * until the test lets it go (to act at an exact point of a running batch).
 */
final class FlakyModel implements LoadedModel {

    private final LoadedModel model;
    private final AtomicInteger failures = new AtomicInteger();
    private final AtomicInteger passes = new AtomicInteger();
    private volatile int holdAt = -1;
    private final java.util.concurrent.CountDownLatch held = new java.util.concurrent.CountDownLatch(1);
    private final java.util.concurrent.CountDownLatch released = new java.util.concurrent.CountDownLatch(1);

    FlakyModel(LoadedModel model) {
        this.model = model;
    }

    /** The next {@code n} forward passes throw. */
    void failNext(int n) {
        failures.set(n);
    }

    /** Forward pass number {@code pass} (counting from 1, from now) waits for {@link #release()}. */
    void holdPass(int pass) {
        passes.set(0);
        holdAt = pass;
    }

    /** Waits until the held pass is reached. */
    boolean awaitHeld(java.time.Duration timeout) throws InterruptedException {
        return held.await(timeout.toNanos(), java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    void release() {
        released.countDown();
    }

    @Override
    public NDArray predictNoise(NDArray x, NDArray t, NDArray c) {
        if (passes.incrementAndGet() == holdAt) {
            held.countDown();
            try {
                released.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
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
