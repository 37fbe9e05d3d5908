package org.diffusionworker.messaging;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The events on the events topic (docs/messages.md, schemas/generation-event.schema.json), keyed by request id, sent
 * as CloudEvents in binary mode (ce_* headers) with this JSON as the data: one terminal event per request (COMPLETED,
 * FAILED or CANCELED), before it STARTED and PROGRESS when the request asked for them.
 */
final class GenerationEvent {

    static final int SCHEMA_VERSION = 1;
    static final String COMPLETED = "COMPLETED";
    static final String FAILED = "FAILED";
    static final String CANCELED = "CANCELED";
    static final String STARTED = "STARTED";
    static final String PROGRESS = "PROGRESS";

    private GenerationEvent() {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonPropertyOrder({"schemaVersion", "status", "requestId", "image", "images", "trajectory", "parameters", "model",
            "timings", "batches", "deduplicated", "source", "attributes", "finishedAt"})
    record Completed(int schemaVersion, String status, String requestId, Image image, List<SingleImage> images,
            Trajectory trajectory, Parameters parameters, Model model, Timings timings, List<Batch> batches,
            boolean deduplicated, Source source, Map<String, String> attributes, Instant finishedAt) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonPropertyOrder({"schemaVersion", "status", "requestId", "error", "source", "attributes", "finishedAt"})
    record Failed(int schemaVersion, String status, String requestId, Error error, Source source,
            Map<String, String> attributes, Instant finishedAt) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonPropertyOrder({"schemaVersion", "status", "requestId", "canceledWhile", "stepsDone", "source", "attributes",
            "finishedAt"})
    record Canceled(int schemaVersion, String status, String requestId, String canceledWhile, int stepsDone,
            Source source, Map<String, String> attributes, Instant finishedAt) {}

    @JsonPropertyOrder({"schemaVersion", "status", "requestId", "queuedMs", "batch", "startedAt", "attributes"})
    record Started(int schemaVersion, String status, String requestId, long queuedMs, StartedBatch batch,
            Instant startedAt, Map<String, String> attributes) {}

    /** The first batch of a request: all its images and the requests sharing it. */
    record StartedBatch(int images, int requests) {}

    @JsonPropertyOrder({"schemaVersion", "status", "requestId", "step", "steps", "etaMs"})
    record Progress(int schemaVersion, String status, String requestId, int step, int steps, long etaMs) {}

    /** The request record an event answers, and (when it was not a valid request id) the id it offered. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonPropertyOrder({"topic", "partition", "offset", "offeredRequestId"})
    record Source(String topic, int partition, long offset, String offeredRequestId) {}

    record Image(String url, String bucket, String key, String contentType, int width, int height, int count,
            int columns) {}

    /** One image's own PNG (layout images or both): its index in the request, key and URL. */
    @JsonPropertyOrder({"index", "key", "url"})
    record SingleImage(int index, String key, String url) {}

    record Trajectory(String url, String key, String contentType, int frames) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonPropertyOrder({"label", "context", "count", "sampler", "steps", "eta", "guidance", "seed", "seedDrawn",
            "columns", "trajectory", "layout"})
    record Parameters(String label, Map<String, Double> context, int count, String sampler, int steps, double eta,
            double guidance, long seed, boolean seedDrawn, int columns, boolean trajectory, String layout) {}

    record Model(String name, String weightsSha256) {}

    record Timings(long queuedMs, long samplingMs, long uploadMs, long endToEndMs) {}

    /** One batch that held some of the request's images: all its images, its requests, and this request's share. */
    record Batch(int images, int requests, int ownImages) {}

    record Error(String code, String message) {}
}
