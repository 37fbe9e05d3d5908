package org.diffusionworker.training;

import java.nio.file.Path;

/**
 * Told as training proceeds, on the training thread; for progress bars and logs. An exception
 * thrown here stops the run as a kill would (the last checkpoint stays resumable).
 */
public interface TrainingListener {

    TrainingListener NONE = new TrainingListener() {};

    /** Before the first batch. */
    default void started(TrainingStart start) {}

    /**
     * After every optimiser step.
     *
     * @param epoch 1-based
     * @param batch 1-based within the epoch
     * @param loss the batch's loss
     * @param imagesPerSecond the batch's throughput
     */
    default void batchDone(int epoch, int batch, float loss, double imagesPerSecond) {}

    default void epochDone(EpochRecord record) {}

    /** After a checkpoint (and the model directory's copy of it) is in place. */
    default void checkpointWritten(int epoch, Path checkpoint) {}

    /**
     * Where a run starts.
     *
     * @param epochs the run's length
     * @param firstEpoch 1-based; above 1 when resumed
     * @param batchesPerEpoch optimiser steps per epoch
     * @param images images per epoch
     */
    record TrainingStart(int epochs, int firstEpoch, int batchesPerEpoch, int images) {
        public long totalBatches() {
            return (long) epochs * batchesPerEpoch;
        }

        public long batchesDone() {
            return (long) (firstEpoch - 1) * batchesPerEpoch;
        }
    }
}
