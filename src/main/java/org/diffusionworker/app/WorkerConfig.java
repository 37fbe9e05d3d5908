package org.diffusionworker.app;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithConverter;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Pattern;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.diffusionworker.diffusion.SamplerKind;
import org.diffusionworker.worker.BatchingPolicy;
import org.diffusionworker.worker.Scheduling;
import org.hibernate.validator.constraints.time.DurationMax;
import org.hibernate.validator.constraints.time.DurationMin;

/**
 * Everything the Kafka worker reads from configuration ({@code application.properties}, environment variables such as
 * {@code DIFFUSIONWORKER_STORAGE_SECRET_KEY}, or {@code -D} flags). Every key has a type, a default and a valid range;
 * a bad value stops start-up with a message naming the key. The Kafka channels ({@code mp.messaging.*}) take their
 * topics and group id from here. docs/worker.md lists every key.
 */
@ConfigMapping(prefix = "diffusionworker")
public interface WorkerConfig {

    @Valid
    Worker worker();

    @Valid
    Model model();

    @Valid
    Batching batching();

    @Valid
    Limits limits();

    @Valid
    Kafka kafka();

    @Valid
    Storage storage();

    @Valid
    Events events();

    @Valid
    TracingConfig tracing();

    /**
     * Tenants with a weight or a cap of their own ({@code diffusionworker.tenants."name".weight}); any other tenant has
     * weight 1 and no cap.
     */
    Map<@Pattern(regexp = Scheduling.TENANT_REGEX, message = "must be a tenant name (1..64 of [A-Za-z0-9._-])") String,
            @Valid Tenant> tenants();

    interface Tenant {
        /** The tenant's share of its class's images relative to the other tenants' weights. */
        @WithDefault("1")
        @Min(1)
        @Max(1000)
        int weight();

        /** Images of the tenant in batches and not yet answered at most; 0 for no cap. */
        @WithDefault("0")
        @Min(0)
        @Max(1000000)
        int maxImagesInFlight();
    }

    interface Worker {
        /** Whether this process runs the worker (Kafka channels, model, store). {@code serve} and the demo set it. */
        @WithDefault("false")
        boolean enabled();

        /** Model replicas, one inference thread each: one per GPU (gpu:0, gpu:1, ...), one on CPU. */
        @WithDefault("1")
        @Min(1)
        @Max(16)
        int replicas();

        /** How long a stopping worker may take to finish the batch in hand, publish and commit. */
        @WithDefault("30s")
        @DurationMin(millis = 0)
        @DurationMax(minutes = 30)
        Duration shutdownGrace();

        /** How long loading and warming up the model may take before start-up fails. */
        @WithDefault("5m")
        @DurationMin(seconds = 1)
        Duration warmUpTimeout();

        /** Threads that encode grids and upload them, off the inference thread. */
        @WithDefault("2")
        @Min(1)
        @Max(64)
        int uploadThreads();

        /**
         * Times a batch's images are sampled before their requests fail with INTERNAL. A failing engine is the
         * system's fault: the images are queued again after a backoff, and the worker is unready meanwhile.
         */
        @WithDefault("3")
        @Min(1)
        @Max(100)
        int samplingAttempts();

        /** The wait before the first retry of a failed batch's images; it doubles after each failure. */
        @WithDefault("1s")
        @DurationMin(millis = 0)
        @DurationMax(minutes = 10)
        Duration samplingRetryBackoff();
    }

    interface Model {
        /** Model directory (model.json + weights). */
        @WithDefault("models/fashion-mnist")
        Path path();

        /** cpu, gpu, gpu:N or auto (GPU when DJL finds one). With several replicas on GPU, replica i uses gpu:i. */
        @WithDefault("auto")
        @Pattern(regexp = "auto|cpu|gpu(:\\d+)?", message = "must be auto, cpu, gpu or gpu:N")
        String device();
    }

    interface Batching {
        /** Images per forward pass at most; a larger request is split over several batches. */
        @WithDefault("64")
        @Min(1)
        @Max(4096)
        int maxImages();

        /** How long the oldest waiting request may wait for its batch to fill. */
        @WithDefault("100ms")
        @DurationMin(millis = 0)
        @DurationMax(minutes = 1)
        Duration maxQueueDelay();

        /** MIXED (any contexts share a batch) or BY_CONTEXT (one context per batch); see docs/batching.md. */
        @WithDefault("MIXED")
        BatchingPolicy policy();

        /**
         * Images admitted into batches and not yet answered (sampled, encoded, uploaded) beyond which no further batch
         * is formed; requests taken beyond it wait in the queue. Must be at least
         * {@code diffusionworker.limits.max-count}.
         */
        @WithDefault("256")
        @Min(1)
        @Max(1000000)
        int maxPendingImages();

        /**
         * Requests taken and not yet answered beyond which the worker stops fetching from Kafka (the consumer pauses
         * until one is answered). They are decoded and wait in the queue, where the scheduler sees them: a request
         * behind another tenant's flood is taken and served in its turn.
         */
        @WithDefault("1000")
        @Min(1)
        @Max(100000)
        int maxTakenRequests();

        /** How long a request waits at most behind higher classes before it goes first. */
        @WithDefault("60s")
        @DurationMin(millis = 0)
        @DurationMax(hours = 24)
        Duration maxStarvation();

        /**
         * Images a batch in progress may hold beyond max-images for requests that go before its rows (a higher
         * class, or a tenant below its weighted share of them): they join at the next step instead of waiting for
         * the batch to finish. 0: a batch never holds more than max-images.
         */
        @WithDefault("32")
        @Min(0)
        @Max(4096)
        int overtakeImages();
    }

    interface Limits {
        /** Images one request may ask for. */
        @WithDefault("64")
        @Min(1)
        @Max(4096)
        int maxCount();

        /** Steps one request may ask for (never more than the model's T). */
        @WithDefault("1000")
        @Min(1)
        @Max(10000)
        int maxSteps();

        /** Steps when a request names none (preset standard), whatever its sampler but ddpm. */
        @WithDefault("25")
        @Min(1)
        @Max(10000)
        int defaultSteps();

        /**
         * DDIM steps of {@code "preset": "fast"}: for the shipped model, the fewest that kept conditional accuracy
         * within 1 point and FD within 10% of default-steps at guidance 0 and 1 (docs/performance.md).
         */
        @WithDefault("15")
        @Min(1)
        @Max(10000)
        int fastSteps();

        /**
         * The sampler of a request that names none (preset standard): ddim, dpmpp-2m or unipc. DDIM: no solver at
         * default-steps has been measured against DDIM-25 at N = 300 yet (docs/performance.md).
         */
        @WithDefault("ddim")
        @WithConverter(SamplerKindConverter.class)
        SamplerKind defaultSampler();

        /**
         * The sampler of {@code "preset": "fast"} when the request names none: for the shipped model UniPC, which kept
         * accuracy within 1 point and FD within 10% of DDIM-25 at guidance 0 and 1 in the fewest network passes
         * (5 steps; docs/performance.md).
         */
        @WithDefault("unipc")
        @WithConverter(SamplerKindConverter.class)
        SamplerKind fastSampler();

        /** Steps of dpmpp-2m and unipc under {@code "preset": "fast"} (fast-steps are DDIM's): 5, measured as above. */
        @WithDefault("5")
        @Min(1)
        @Max(10000)
        int fastSolverSteps();

        /** Largest request record value in bytes; larger ones fail with LIMIT_EXCEEDED unread. */
        @WithDefault("16384")
        @Min(256)
        @Max(1048576)
        int maxPayloadBytes();
    }

    interface Kafka {
        /** Topic the requests arrive on (key = requestId). */
        @WithDefault("generation-requests")
        @NotBlank
        String requestsTopic();

        /** Topic the COMPLETED/FAILED events go to (key = requestId). */
        @WithDefault("generation-events")
        @NotBlank
        String eventsTopic();

        /** Topic undecodable request records are copied to, with the reason in headers. */
        @WithDefault("generation-requests-dead-letter")
        @NotBlank
        String deadLetterTopic();

        /** Consumer group of the workers; all replicas of the service share it. */
        @WithDefault("diffusion-worker")
        @NotBlank
        String groupId();

        /** Topic of control records (cancel), key = requestId; every worker reads all of it (no shared group). */
        @WithDefault("generation-control")
        @NotBlank
        String controlTopic();

        /** How long a cancel is remembered for a request that has not arrived yet (or arrives again). */
        @WithDefault("15m")
        @DurationMin(seconds = 1)
        @DurationMax(hours = 24)
        Duration cancelRetention();

        /** Cancels remembered at most (the oldest are forgotten first): the control topic is open to any producer. */
        @WithDefault("100000")
        @Min(1)
        @Max(10000000)
        int cancelCapacity();

        /**
         * Start of the transactional id of this worker's answers producer; a random part per start follows it, so
         * replicas never fence each other. ACLs grant it as a prefix.
         */
        @WithDefault("diffusion-worker")
        @Pattern(regexp = "[A-Za-z0-9._-]{1,100}")
        String transactionalIdPrefix();

        /**
         * Bytes of request records taken and not yet answered beyond which the worker stops fetching (with
         * {@code diffusionworker.batching.max-taken-requests}, which bounds their number).
         */
        @WithDefault("8388608")
        @Min(65536)
        @Max(1073741824)
        int maxTakenBytes();
    }

    interface Storage {
        /** S3 endpoint, e.g. http://minio:9000. */
        @WithDefault("http://localhost:9000")
        URI endpoint();

        @WithDefault("us-east-1")
        @NotBlank
        String region();

        /** Bucket for all results; created at start-up when missing. */
        @WithDefault("diffusion-worker")
        @Pattern(regexp = "[a-z0-9][a-z0-9-]{1,61}[a-z0-9]", message = "must be an S3 bucket name (3..63 of a-z, 0-9, '-')")
        String bucket();

        /** Key prefix: objects are <prefix>/<requestId>/grid.png and .../trajectory.gif. */
        @WithDefault("generations")
        @Pattern(regexp = "[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*", message = "must be '/'-separated segments of [A-Za-z0-9._-]")
        String prefix();

        /** Access key; set it through the environment (DIFFUSIONWORKER_STORAGE_ACCESS_KEY). Required by the worker. */
        Optional<String> accessKey();

        /** Secret key; set it through the environment (DIFFUSIONWORKER_STORAGE_SECRET_KEY). Never logged. */
        Optional<String> secretKey();

        /** Lifetime of the presigned GET URLs in events (1 s .. 7 days). */
        @WithDefault("24h")
        @DurationMin(seconds = 1)
        @DurationMax(days = 7)
        Duration urlExpiry();

        /** When set, events carry <public-base-url>/<bucket>/<key> instead of a presigned URL. */
        Optional<URI> publicBaseUrl();

        /**
         * PEM file of the certificates an https endpoint must chain to (a private CA, e.g. mounted from a secret);
         * when unset, the JDK's trust anchors.
         */
        Optional<Path> trustCertificates();

        /** Connect/read/write timeout of one call to the store. */
        @WithDefault("10s")
        @DurationMin(millis = 100)
        Duration requestTimeout();

        @Valid
        Retry retry();

        /** How long a request waits for an unreachable store before it fails with STORAGE_UNAVAILABLE. */
        @WithDefault("5m")
        @DurationMin(seconds = 1)
        @DurationMax(hours = 24)
        Duration outageLimit();

        /** How often a request waiting for the store tries again (and readiness re-probes the bucket). */
        @WithDefault("5s")
        @DurationMin(millis = 10)
        Duration outageRetryInterval();

        interface Retry {
            /** Attempts per store call, transient errors only (1 = no retry). */
            @WithDefault("5")
            @Min(1)
            @Max(100)
            int maxAttempts();

            @WithDefault("200ms")
            @DurationMin(millis = 0)
            Duration initialBackoff();

            @WithDefault("5s")
            @DurationMin(millis = 0)
            Duration maxBackoff();
        }
    }

    interface Events {
        /** CloudEvents 'source' of the events this worker publishes. */
        @WithDefault("urn:diffusion-worker")
        URI source();

        /** Also copy undecodable request records to the dead-letter topic. */
        @WithName("dead-letter-enabled")
        @WithDefault("true")
        boolean deadLetterEnabled();

        /** At most one PROGRESS event per request per this interval. */
        @WithDefault("1s")
        @DurationMin(millis = 100)
        @DurationMax(seconds = 60)
        Duration progressInterval();
    }
}
