package org.diffusionworker.app;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.diffusionworker.messaging.WorkerConnection;
import org.diffusionworker.worker.GenerationWorker;
import org.diffusionworker.worker.WorkerStatus;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Liveness;
import org.eclipse.microprofile.health.Readiness;

/**
 * The worker's part of /q/health: ready when the model is loaded and warm, the bucket reachable and the worker not
 * stopping (Kafka's part, partitions assigned, comes from the connector's own readiness check); live while every
 * inference thread runs.
 */
final class WorkerHealthChecks {

    private WorkerHealthChecks() {}

    @Readiness
    @ApplicationScoped
    static class Ready implements HealthCheck {
        @Inject
        WorkerRuntime runtime;

        @Override
        public HealthCheckResponse call() {
            HealthCheckResponseBuilder response = HealthCheckResponse.named("diffusion-worker");
            if (!runtime.enabled()) {
                return response.up().withData("worker", "disabled in this process").build();
            }
            GenerationWorker worker = runtime.worker().orElse(null);
            if (worker == null) {
                return response.down().withData("model", "loading").build();
            }
            WorkerStatus s = worker.status();
            response.status(s.ready())
                    .withData("model", s.modelReady() ? worker.spec().name() + " (warm)" : "warming up")
                    .withData("replicas", s.replicas())
                    .withData("storage", s.storageAvailable() ? "reachable" : "unreachable: " + s.storageProblem())
                    .withData("sampling", s.samplingFailing() ? "failing (batches are retried)" : "ok")
                    .withData("queuedImages", s.queuedImages())
                    .withData("pendingImages", s.pendingImages());
            if (s.stopping()) {
                response.withData("stopping", true);
            }
            return response.build();
        }
    }

    @Liveness
    @ApplicationScoped
    static class Live implements HealthCheck {
        @Inject
        WorkerRuntime runtime;

        @Inject
        WorkerConnection connection;

        @Override
        public HealthCheckResponse call() {
            HealthCheckResponseBuilder response = HealthCheckResponse.named("diffusion-worker-inference");
            GenerationWorker worker = runtime.worker().orElse(null);
            if (worker == null) {
                return response.up().build();
            }
            WorkerStatus s = worker.status();
            boolean consuming = !connection.requestChannelStopped();
            response.status(s.replicasAlive() && consuming).withData("replicas", s.replicas())
                    .withData("imagesInHand", s.imagesInHand());
            if (!consuming) {
                response.withData("requests", "the request channel stopped (an event was not acknowledged by Kafka);"
                        + " restart the worker");
            }
            return response.build();
        }
    }
}
