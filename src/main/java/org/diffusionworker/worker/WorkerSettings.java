package org.diffusionworker.worker;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import org.diffusionworker.diffusion.SamplerKind;

/**
 * How a {@link GenerationWorker} batches, limits and stores. Validated here as well as in the configuration mapping,
 * so that a worker built in code cannot hold a nonsensical setting either.
 *
 * @param maxBatchImages     images per forward pass at most (a larger request is split over several batches)
 * @param maxQueueDelay      how long the oldest waiting request may wait for its batch to fill before it runs anyway
 * @param policy             which images may share a batch
 * @param maxPendingImages   images admitted and not yet answered (in batches being sampled, encoded or uploaded):
 *                           no further batch is formed above it (requests taken beyond it wait in the queue)
 * @param maxCount           images one request may ask for
 * @param maxSteps           steps one request may ask for (never more than the model's T)
 * @param defaultDdimSteps   steps when the request names none (any sampler but DDPM)
 * @param fastDdimSteps      DDIM steps when the request names none but asks for {@link SamplingPreset#FAST}
 * @param storageOutageLimit how long a request waits for an unreachable object store before it fails
 * @param storageRetryInterval how often a request whose storage call failed tries again (and readiness re-probes)
 * @param uploadThreads      threads that encode PNG/GIF and upload, so the model never waits for the store
 * @param samplingAttempts   times a batch's images are sampled before their requests fail with INTERNAL (an engine
 *                           fault is the system's, not the request's; the worker is unready while it lasts)
 * @param samplingRetryBackoff the wait before the first retry of a failed batch's images, doubling after each failure
 * @param defaultSampler     the sampler of a request that names none (with {@link SamplingPreset#STANDARD}), at
 *                           {@code defaultDdimSteps} steps whatever the sampler
 * @param fastSampler        the sampler of a request that names none but asks for {@link SamplingPreset#FAST}
 * @param fastSolverSteps    steps of dpmpp-2m and unipc under {@link SamplingPreset#FAST} ({@code fastDdimSteps} are
 *                           DDIM's)
 * @param lifecycle          intermediate events and cancellation
 * @param fairness           how many requests are taken, and how the queue is shared between classes and tenants
 */
public record WorkerSettings(
        int maxBatchImages,
        Duration maxQueueDelay,
        BatchingPolicy policy,
        int maxPendingImages,
        int maxCount,
        int maxSteps,
        int defaultDdimSteps,
        int fastDdimSteps,
        Duration storageOutageLimit,
        Duration storageRetryInterval,
        int uploadThreads,
        int samplingAttempts,
        Duration samplingRetryBackoff,
        SamplerKind defaultSampler,
        SamplerKind fastSampler,
        int fastSolverSteps,
        Lifecycle lifecycle,
        Fairness fairness) {

    /**
     * @param maxTakenRequests requests taken and not yet answered (waiting in the queue, or further on) beyond which
     *                         {@link GenerationWorker#submit} stops granting room, so the caller stops fetching: so
     *                         many are seen, and can be scheduled, behind a flood of another tenant's
     * @param maxStarvation    how long a request waits at most behind higher classes before it goes first
     * @param overtakeImages   images a batch in progress may hold beyond the largest batch for requests that go before
     *                         its rows (a higher class, or a tenant below its share of them): they join it at the next
     *                         step instead of waiting for it to finish; 0: never beyond the largest batch
     * @param tenants          the tenants with a weight or a cap of their own; any other has {@link TenantShare#DEFAULT}
     */
    public record Fairness(int maxTakenRequests, Duration maxStarvation, int overtakeImages,
            Map<String, TenantShare> tenants) {

        public Fairness {
            requireRange("maxTakenRequests", maxTakenRequests, 1, 100_000);
            requireRange("overtakeImages", overtakeImages, 0, 4096);
            Objects.requireNonNull(maxStarvation, "maxStarvation");
            if (maxStarvation.isNegative()) {
                throw new IllegalArgumentException("maxStarvation must not be negative, got " + maxStarvation);
            }
            tenants = Map.copyOf(tenants);
            tenants.keySet().forEach(Scheduling::requireValidTenant);
        }

        public static Fairness defaults() {
            return new Fairness(1000, Duration.ofSeconds(60), 32, Map.of());
        }

        TenantShare share(String tenant) {
            return tenants.getOrDefault(tenant, TenantShare.DEFAULT);
        }
    }

    /**
     * @param weight              the tenant's share of its class's images relative to the others' (1..1000)
     * @param maxImagesInFlight   images of the tenant in batches and not yet answered at most; 0 for no cap
     */
    public record TenantShare(int weight, int maxImagesInFlight) {

        public static final TenantShare DEFAULT = new TenantShare(1, 0);

        public TenantShare {
            requireRange("weight", weight, 1, 1000);
            requireRange("maxImagesInFlight", maxImagesInFlight, 0, 1_000_000);
        }
    }

    /**
     * @param progressInterval at most one PROGRESS event per request per this interval (100 ms .. 60 s)
     * @param cancelRetention  how long a cancel is remembered for a request that has not arrived (or comes again)
     * @param cancelCapacity   cancels remembered at most; the oldest are forgotten first
     */
    public record Lifecycle(Duration progressInterval, Duration cancelRetention, int cancelCapacity) {

        public static final Duration MIN_PROGRESS_INTERVAL = Duration.ofMillis(100);
        public static final Duration MAX_PROGRESS_INTERVAL = Duration.ofSeconds(60);

        public Lifecycle {
            Objects.requireNonNull(progressInterval, "progressInterval");
            if (progressInterval.compareTo(MIN_PROGRESS_INTERVAL) < 0
                    || progressInterval.compareTo(MAX_PROGRESS_INTERVAL) > 0) {
                throw new IllegalArgumentException("progressInterval must be 100ms..60s, got " + progressInterval);
            }
            Objects.requireNonNull(cancelRetention, "cancelRetention");
            if (cancelRetention.isNegative() || cancelRetention.isZero()) {
                throw new IllegalArgumentException("cancelRetention must be positive, got " + cancelRetention);
            }
            requireRange("cancelCapacity", cancelCapacity, 1, 10_000_000);
        }

        public static Lifecycle defaults() {
            return new Lifecycle(Duration.ofSeconds(1), Duration.ofMinutes(15), 100_000);
        }
    }

    public WorkerSettings {
        requireRange("maxBatchImages", maxBatchImages, 1, 4096);
        Objects.requireNonNull(maxQueueDelay, "maxQueueDelay");
        if (maxQueueDelay.isNegative()) {
            throw new IllegalArgumentException("maxQueueDelay must not be negative, got " + maxQueueDelay);
        }
        Objects.requireNonNull(policy, "policy");
        requireRange("maxPendingImages", maxPendingImages, 1, 1_000_000);
        requireRange("maxCount", maxCount, 1, 4096);
        requireRange("maxSteps", maxSteps, 1, 10_000);
        requireRange("defaultDdimSteps", defaultDdimSteps, 1, maxSteps);
        requireRange("fastDdimSteps", fastDdimSteps, 1, maxSteps);
        Objects.requireNonNull(storageOutageLimit, "storageOutageLimit");
        Objects.requireNonNull(storageRetryInterval, "storageRetryInterval");
        if (storageRetryInterval.isNegative() || storageRetryInterval.isZero()) {
            throw new IllegalArgumentException("storageRetryInterval must be positive, got " + storageRetryInterval);
        }
        requireRange("uploadThreads", uploadThreads, 1, 64);
        requireRange("samplingAttempts", samplingAttempts, 1, 100);
        Objects.requireNonNull(samplingRetryBackoff, "samplingRetryBackoff");
        if (samplingRetryBackoff.isNegative()) {
            throw new IllegalArgumentException("samplingRetryBackoff must not be negative, got " + samplingRetryBackoff);
        }
        Objects.requireNonNull(defaultSampler, "defaultSampler");
        Objects.requireNonNull(fastSampler, "fastSampler");
        if (!fastSampler.takesSteps()) {
            throw new IllegalArgumentException("fastSampler must take a number of steps (ddim, dpmpp-2m, unipc), got "
                    + fastSampler.id());
        }
        requireRange("fastSolverSteps", fastSolverSteps, 1, maxSteps);
        Objects.requireNonNull(lifecycle, "lifecycle");
        Objects.requireNonNull(fairness, "fairness");
        if (maxPendingImages < maxCount) {
            // Otherwise a single largest request could never be granted room and the consumer would stall.
            throw new IllegalArgumentException("maxPendingImages (" + maxPendingImages + ") must be at least maxCount ("
                    + maxCount + ")");
        }
    }

    /**
     * Settings whose presets are DDIM's (standard {@code defaultDdimSteps}, fast {@code fastDdimSteps}), with the
     * default {@link Lifecycle}.
     */
    public WorkerSettings(int maxBatchImages, Duration maxQueueDelay, BatchingPolicy policy, int maxPendingImages,
            int maxCount, int maxSteps, int defaultDdimSteps, int fastDdimSteps, Duration storageOutageLimit,
            Duration storageRetryInterval, int uploadThreads, int samplingAttempts, Duration samplingRetryBackoff) {
        this(maxBatchImages, maxQueueDelay, policy, maxPendingImages, maxCount, maxSteps, defaultDdimSteps,
                fastDdimSteps, storageOutageLimit, storageRetryInterval, uploadThreads, samplingAttempts,
                samplingRetryBackoff, SamplerKind.DDIM, SamplerKind.DDIM, fastDdimSteps, Lifecycle.defaults(), Fairness.defaults());
    }

    /**
     * Rows of the largest forward pass the batcher can make: a batch in progress with its overtakers, twice that when
     * guided (each image is one conditional and one unconditional row).
     */
    int largestPass() {
        return 2 * (maxBatchImages + fairness.overtakeImages());
    }

    /** Defaults for tests and code that builds a worker by hand (the service reads its configuration). */
    public static WorkerSettings defaults() {
        return new WorkerSettings(64, Duration.ofMillis(100), BatchingPolicy.MIXED, 256, 64, 1000, 25, 15,
                Duration.ofMinutes(5), Duration.ofSeconds(2), 2, 3, Duration.ofSeconds(1));
    }

    /** These settings with the presets' samplers and the solvers' fast steps replaced. */
    public WorkerSettings withPresets(SamplerKind newDefaultSampler, SamplerKind newFastSampler, int newFastSolverSteps) {
        return new WorkerSettings(maxBatchImages, maxQueueDelay, policy, maxPendingImages, maxCount, maxSteps,
                defaultDdimSteps, fastDdimSteps, storageOutageLimit, storageRetryInterval, uploadThreads, samplingAttempts,
                samplingRetryBackoff, newDefaultSampler, newFastSampler, newFastSolverSteps, lifecycle, fairness);
    }

    public WorkerSettings withBatching(int batchImages, Duration delay, BatchingPolicy newPolicy) {
        return new WorkerSettings(batchImages, delay, newPolicy, Math.max(maxPendingImages, maxCount), maxCount, maxSteps,
                defaultDdimSteps, fastDdimSteps, storageOutageLimit, storageRetryInterval, uploadThreads, samplingAttempts,
                samplingRetryBackoff, defaultSampler, fastSampler, fastSolverSteps, lifecycle, fairness);
    }

    public WorkerSettings withSamplingRetry(int attempts, Duration backoff) {
        return new WorkerSettings(maxBatchImages, maxQueueDelay, policy, maxPendingImages, maxCount, maxSteps,
                defaultDdimSteps, fastDdimSteps, storageOutageLimit, storageRetryInterval, uploadThreads, attempts, backoff,
                defaultSampler, fastSampler, fastSolverSteps, lifecycle, fairness);
    }

    public WorkerSettings withStorageOutage(Duration limit, Duration retryInterval) {
        return new WorkerSettings(maxBatchImages, maxQueueDelay, policy, maxPendingImages, maxCount, maxSteps,
                defaultDdimSteps, fastDdimSteps, limit, retryInterval, uploadThreads, samplingAttempts, samplingRetryBackoff,
                defaultSampler, fastSampler, fastSolverSteps, lifecycle, fairness);
    }

    public WorkerSettings withLifecycle(Lifecycle newLifecycle) {
        return new WorkerSettings(maxBatchImages, maxQueueDelay, policy, maxPendingImages, maxCount, maxSteps,
                defaultDdimSteps, fastDdimSteps, storageOutageLimit, storageRetryInterval, uploadThreads, samplingAttempts,
                samplingRetryBackoff, defaultSampler, fastSampler, fastSolverSteps, newLifecycle, fairness);
    }

    public WorkerSettings withFairness(Fairness newFairness) {
        return new WorkerSettings(maxBatchImages, maxQueueDelay, policy, maxPendingImages, maxCount, maxSteps,
                defaultDdimSteps, fastDdimSteps, storageOutageLimit, storageRetryInterval, uploadThreads, samplingAttempts,
                samplingRetryBackoff, defaultSampler, fastSampler, fastSolverSteps, lifecycle, newFairness);
    }

    private static void requireRange(String name, int value, int min, int max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(name + " must be " + min + ".." + max + ", got " + value);
        }
    }
}
