package org.diffusionworker.benchmark;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.training.tracker.Tracker;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.diffusionworker.diffusion.NoiseSchedule;
import org.diffusionworker.model.ContextUnet;
import org.diffusionworker.model.ContextUnetConfig;
import org.diffusionworker.model.ModelLoader;
import org.diffusionworker.model.ModelSpec;
import org.diffusionworker.training.DiffusionBatch;
import org.diffusionworker.training.ResumableAdam;
import org.diffusionworker.training.TrainingPrecision;
import org.diffusionworker.training.TrainingStep;

/**
 * Times optimiser steps of the diffusion loss as {@code DiffusionTrainer} runs them
 * ({@link TrainingStep} with {@link ResumableAdam}, lr 1e-3 fixed): the batch's arrays created
 * from the host, forward with BatchNorm in training mode, MSE of the predicted noise, backward,
 * Adam on every parameter. One random batch (x0 ~ U(-1, 1), z ~ N(0, 1), t ~ U{1..T}, one-hot
 * random labels) is noised before the clock starts and reused, as in the reference's
 * {@code --train}, so data preparation is not timed.
 */
final class TrainingStepTimer implements AutoCloseable {

    static final float LEARNING_RATE = 1e-3f;

    private final NDManager root = NDManager.newBaseManager(Device.cpu());
    private final TrainingStep step;
    private final DiffusionBatch batch;

    /**
     * {@code stateDict}: the weights to start from ({@code .npz}), or null for the project's seeded initialisation;
     * {@code precision}: the step's arithmetic, as {@code train --precision} runs it.
     */
    TrainingStepTimer(ModelSpec spec, Path stateDict, int batchSize, long seed, TrainingPrecision precision) {
        ContextUnet network = stateDict != null
                ? ModelLoader.trainableNetwork(stateDict, spec, root)
                : ModelLoader.trainableNetwork(spec, (int) seed, root);
        ResumableAdam adam = ResumableAdam.builder()
                .optLearningRateTracker(Tracker.fixed(LEARNING_RATE))
                .setStateManager(root.newSubManager())
                .build();
        this.step = new TrainingStep(network, adam, root, precision);
        ModelSpec.Schedule s = spec.schedule();
        this.batch = randomBatch(spec.config(), batchSize, new NoiseSchedule(s.timesteps(), s.beta1(), s.beta2()),
                new SplittableRandom(seed));
    }

    /** Images/s over {@code steps} steps after {@code warmUp} untimed ones. */
    double imagesPerSecond(int warmUp, int steps) {
        for (int i = 0; i < warmUp; i++) {
            step.run(batch, root);
        }
        long start = System.nanoTime();
        for (int i = 0; i < steps; i++) {
            step.run(batch, root);
        }
        return (double) batch.size() * steps / ((System.nanoTime() - start) / 1e9);
    }

    private static DiffusionBatch randomBatch(ContextUnetConfig config, int size, NoiseSchedule schedule,
            SplittableRandom random) {
        int perImage = config.inChannels() * config.height() * config.height();
        float[] x0 = new float[size * perImage];
        float[] noise = new float[size * perImage];
        for (int i = 0; i < x0.length; i++) {
            x0[i] = (float) (random.nextDouble() * 2 - 1);
            noise[i] = (float) random.nextGaussian();
        }
        int[] timesteps = new int[size];
        float[] context = new float[size * config.nCfeat()];
        for (int i = 0; i < size; i++) {
            timesteps[i] = 1 + random.nextInt(schedule.timesteps());
            context[i * config.nCfeat() + random.nextInt(config.nCfeat())] = 1f;
        }
        return DiffusionBatch.of(x0, noise, timesteps, context, schedule);
    }

    @Override
    public void close() {
        step.close();
        root.close();
    }
}
