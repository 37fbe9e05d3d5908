package org.diffusionworker.app;

import ai.djl.Device;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.api.OpenTelemetry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.interceptor.Interceptor;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.diffusionworker.generation.GenerationEngine;
import org.diffusionworker.messaging.MessagingSettings;
import org.diffusionworker.messaging.WorkerConnection;
import org.diffusionworker.model.DjlRuntime;
import org.diffusionworker.model.ModelLoader;
import org.diffusionworker.storage.MinioObjectStore;
import org.diffusionworker.storage.MinioStoreSettings;
import org.diffusionworker.storage.ObjectKeys;
import org.diffusionworker.storage.RetrySettings;
import org.diffusionworker.worker.GenerationWorker;
import org.diffusionworker.worker.WorkerSettings;
import org.diffusionworker.worker.WorkerStatus;

/**
 * Starts the worker when {@code diffusionworker.worker.enabled} is true: loads the model once per replica, warms it
 * up and checks the bucket before the Kafka channels connect (this observer runs ahead of SmallRye's), so no request
 * arrives before the model is ready. On shutdown it stops fetching, finishes the batch in hand, waits for the answers
 * to be committed with their offsets within the grace period.
 */
@ApplicationScoped
public class WorkerRuntime {

    private static final System.Logger LOG = System.getLogger(WorkerRuntime.class.getName());

    @Inject
    WorkerConfig config;

    @Inject
    MeterRegistry registry;

    @Inject
    WorkerConnection connection;

    @Inject
    OpenTelemetry openTelemetry;

    private volatile GenerationWorker worker;
    private MinioObjectStore store;
    private final List<Meter> gauges = new ArrayList<>();

    void onStart(@Observes @Priority(Interceptor.Priority.PLATFORM_BEFORE) StartupEvent event) throws InterruptedException {
        if (!config.worker().enabled()) {
            return;
        }
        WorkerSettings settings = settings(config);
        MinioStoreSettings storeSettings = storeSettings(config);
        if (!Files.isDirectory(config.model().path())) {
            throw new IllegalStateException("diffusionworker.model.path: no model directory at "
                    + config.model().path().toAbsolutePath() + " (set it to a directory with model.json and weights)");
        }
        long start = System.nanoTime();
        List<GenerationEngine> engines = new ArrayList<>();
        for (int i = 0; i < config.worker().replicas(); i++) {
            engines.add(new GenerationEngine(ModelLoader.fromDirectory(config.model().path(), device(i))));
        }
        store = new MinioObjectStore(storeSettings);
        WorkerMetrics metrics = new WorkerMetrics(registry);
        GenerationWorker created = new GenerationWorker(settings, engines, store,
                new ObjectKeys(config.storage().prefix()), metrics,
                openTelemetry.getTracer("org.diffusionworker.worker"));
        created.start();
        // Published to health checks and gauges only once started.
        worker = created;
        registerGauges(created);
        if (!created.awaitWarm(config.worker().warmUpTimeout())) {
            throw new IllegalStateException("the model did not warm up within diffusionworker.worker.warm-up-timeout ("
                    + config.worker().warmUpTimeout() + ")");
        }
        // The channels hand records over only once this returned: a redelivered request must meet the cancel it had
        // before a restart, so the control topic is read back first.
        connection.open(created, messagingSettings(config), Duration.ofSeconds(30));
        WorkerStatus status = created.status();
        LOG.log(Level.INFO, String.format(
                "Worker ready in %d ms: model %s (%s) x%d, batches of up to %d images (%s, %d ms delay), bucket %s"
                        + " at %s%s, requests from '%s' as group '%s'", (System.nanoTime() - start) / 1_000_000,
                worker.spec().name(), engines.get(0).model().device(), engines.size(), settings.maxBatchImages(),
                settings.policy(), settings.maxQueueDelay().toMillis(), storeSettings.bucket(), storeSettings.endpoint(),
                status.storageAvailable() ? "" : " (UNREACHABLE: " + status.storageProblem() + ")",
                config.kafka().requestsTopic(), config.kafka().groupId()));
    }

    void onStop(@Observes @Priority(Interceptor.Priority.PLATFORM_BEFORE) ShutdownEvent event) throws InterruptedException {
        GenerationWorker w = worker;
        if (w == null) {
            return;
        }
        Duration grace = config.worker().shutdownGrace();
        long deadline = System.nanoTime() + grace.toNanos();
        LOG.log(Level.INFO, String.format(
                "Stopping: no new requests; finishing the batch in hand within %s", grace));
        connection.closeControl();
        boolean finished = w.shutdown(grace);
        boolean published = connection.awaitEventsSent(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
        LOG.log(Level.INFO, String.format("Worker stopped (%s, %s)",
                finished ? "all requests in hand answered" : "some requests left unanswered, to be redelivered",
                published ? "all answers committed with their offsets" : "some answers not committed in time, their"
                        + " records to be redelivered"));
        w.close();
        store.close();
        // Gauges hold the worker weakly: remove them with it, so that a registry that outlives this application (a
        // second application in the same JVM, as in the tests) never keeps reading a stopped worker.
        gauges.forEach(registry::remove);
        gauges.clear();
    }

    /** The running worker, once started. */
    public Optional<GenerationWorker> worker() {
        return Optional.ofNullable(worker);
    }

    public boolean enabled() {
        return config.worker().enabled();
    }

    private Device device(int replica) {
        Device device = DjlRuntime.device(config.model().device());
        if (device.isGpu() && config.worker().replicas() > 1) {
            // One replica per GPU: replica i on gpu:i (DjlRuntime.device checks that it exists).
            return DjlRuntime.device("gpu:" + replica);
        }
        return device;
    }

    private void registerGauges(GenerationWorker w) {
        gauges.add(Gauge.builder("diffusion.queue.depth.images", w, x -> x.status().queuedImages())
                .description("Images waiting for a batch").register(registry));
        gauges.add(Gauge.builder("diffusion.pending.images", w, x -> x.status().pendingImages())
                .description("Images accepted but not yet answered (waiting, in batches, being stored)")
                .register(registry));
        gauges.add(Gauge.builder("diffusion.taken.requests", w, x -> x.status().takenRequests())
                .description("Requests taken and not yet answered (fetching pauses at the limit)")
                .register(registry));
        gauges.add(Gauge.builder("diffusion.inference.images", w, x -> x.status().imagesInHand())
                .description("Images in the batches being sampled now").register(registry));
        gauges.add(Gauge.builder("diffusion.cancels.remembered", w, GenerationWorker::rememberedCancels)
                .description("Cancels remembered for requests that have not arrived (or may come again)")
                .register(registry));
        gauges.add(Gauge.builder("diffusion.worker.ready", w, x -> x.status().ready() ? 1 : 0)
                .description("1 when the model is warm, the store reachable and sampling works").register(registry));
    }

    static WorkerSettings settings(WorkerConfig c) {
        try {
            return new WorkerSettings(c.batching().maxImages(), c.batching().maxQueueDelay(), c.batching().policy(),
                    c.batching().maxPendingImages(), c.limits().maxCount(), c.limits().maxSteps(),
                    Math.min(c.limits().defaultSteps(), c.limits().maxSteps()),
                    Math.min(c.limits().fastSteps(), c.limits().maxSteps()), c.storage().outageLimit(),
                    c.storage().outageRetryInterval(), c.worker().uploadThreads(), c.worker().samplingAttempts(),
                    c.worker().samplingRetryBackoff(), c.limits().defaultSampler(), c.limits().fastSampler(),
                    Math.min(c.limits().fastSolverSteps(), c.limits().maxSteps()),
                    new WorkerSettings.Lifecycle(c.events().progressInterval(), c.kafka().cancelRetention(),
                            c.kafka().cancelCapacity()),
                    new WorkerSettings.Fairness(c.batching().maxTakenRequests(), c.batching().maxStarvation(),
                            c.batching().overtakeImages(), tenantShares(c)));
        } catch (IllegalArgumentException e) {
            // What the mapping's per-field bounds cannot see: e.g. max-pending-images below limits.max-count.
            throw new IllegalStateException("invalid worker configuration (diffusionworker.*): " + e.getMessage(), e);
        }
    }

    private static Map<String, WorkerSettings.TenantShare> tenantShares(WorkerConfig c) {
        Map<String, WorkerSettings.TenantShare> shares = new HashMap<>();
        c.tenants().forEach((name, t) -> shares.put(name, new WorkerSettings.TenantShare(t.weight(),
                t.maxImagesInFlight())));
        return shares;
    }

    static MessagingSettings messagingSettings(WorkerConfig c) {
        return new MessagingSettings(c.kafka().eventsTopic(), c.kafka().controlTopic(), c.kafka().cancelRetention(),
                c.limits().maxPayloadBytes(), c.events().source(), c.events().deadLetterEnabled(),
                c.kafka().maxTakenBytes());
    }

    static MinioStoreSettings storeSettings(WorkerConfig c) {
        WorkerConfig.Storage s = c.storage();
        String accessKey = s.accessKey().orElseThrow(() -> new IllegalStateException(
                "diffusionworker.storage.access-key is not set (environment: DIFFUSIONWORKER_STORAGE_ACCESS_KEY)"));
        String secretKey = s.secretKey().orElseThrow(() -> new IllegalStateException(
                "diffusionworker.storage.secret-key is not set (environment: DIFFUSIONWORKER_STORAGE_SECRET_KEY)"));
        try {
            return new MinioStoreSettings(s.endpoint(), s.region(), accessKey, secretKey, s.bucket(), s.urlExpiry(),
                    s.publicBaseUrl(), new RetrySettings(s.retry().maxAttempts(), s.retry().initialBackoff(),
                    s.retry().maxBackoff()), s.requestTimeout(), s.trustCertificates());
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("invalid diffusionworker.storage.* configuration: " + e.getMessage(), e);
        }
    }
}
