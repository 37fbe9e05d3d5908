package org.diffusionworker.worker;

/** What a {@link GenerationWorker}'s readiness and liveness are made of ({@link GenerationWorker#status()}). */
public record WorkerStatus(boolean modelReady, boolean storageAvailable, String storageProblem, boolean stopping,
        boolean replicasAlive, boolean samplingFailing, int replicas, int queuedImages, int pendingImages,
        int imagesInHand, int takenRequests) {
    public boolean ready() {
        return modelReady && storageAvailable && !stopping && replicasAlive && !samplingFailing;
    }
}
