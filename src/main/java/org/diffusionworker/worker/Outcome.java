package org.diffusionworker.worker;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.diffusionworker.diffusion.SamplerSettings;

/** How a request ended: its images are stored, or it failed with a code and a message for the producer. */
public sealed interface Outcome {

    /** The request as received (for its id and attributes). */
    GenerationRequest request();

    default String requestId() {
        return request().requestId();
    }

    /**
     * The images (as the request's {@link ResultLayout} says: a grid, single images, or both) and the trajectory are in
     * the store.
     *
     * @param parameters    the effective parameters, the seed and the layout included
     * @param grid          where the PNG grid is; empty for {@link ResultLayout#IMAGES}, which stores none
     * @param images        where each image's PNG is, by index; empty for {@link ResultLayout#GRID}
     * @param trajectory    where the GIF is, when asked for
     * @param model         the model that sampled it (for a deduplicated answer: the one recorded with the object)
     * @param timings       where the time went
     * @param batches       the batches its images were sampled in (empty when deduplicated)
     * @param deduplicated  true when the object already existed for the same parameters and nothing was sampled
     */
    record Completed(
            GenerationRequest request,
            EffectiveParameters parameters,
            Optional<StoredGrid> grid,
            List<StoredImage> images,
            Optional<StoredTrajectory> trajectory,
            ModelInfo model,
            Timings timings,
            List<BatchShare> batches,
            boolean deduplicated) implements Outcome {

        public Completed {
            Objects.requireNonNull(request, "request");
            Objects.requireNonNull(parameters, "parameters");
            Objects.requireNonNull(grid, "grid");
            images = List.copyOf(images);
            if (grid.isPresent() != parameters.layout().storesGrid()
                    || images.isEmpty() == parameters.layout().storesImages()) {
                throw new IllegalArgumentException("a " + parameters.layout().id() + " result with "
                        + (grid.isPresent() ? "a grid" : "no grid") + " and " + images.size() + " single image(s)");
            }
            Objects.requireNonNull(trajectory, "trajectory");
            Objects.requireNonNull(model, "model");
            Objects.requireNonNull(timings, "timings");
            batches = List.copyOf(batches);
        }
    }

    /** The request did not produce images; {@code message} tells the producer what to fix (or that it was us). */
    record Failed(GenerationRequest request, String requestIdIfUndecodable, ErrorCode code, String message)
            implements Outcome {

        public Failed {
            Objects.requireNonNull(code, "code");
            Objects.requireNonNull(message, "message");
        }

        public Failed(GenerationRequest request, ErrorCode code, String message) {
            this(Objects.requireNonNull(request, "request"), null, code, message);
        }

        @Override
        public String requestId() {
            return request != null ? request.requestId() : requestIdIfUndecodable;
        }
    }

    /**
     * The request was canceled by a control record before its images were stored: nothing more was sampled, nothing
     * was stored.
     *
     * @param canceledWhile where it was when the cancel took effect
     * @param stepsDone     denoising steps done for it by then (0 unless it was running)
     */
    record Canceled(GenerationRequest request, CancelPoint canceledWhile, int stepsDone) implements Outcome {
        public Canceled {
            Objects.requireNonNull(request, "request");
            Objects.requireNonNull(canceledWhile, "canceledWhile");
        }
    }

    /** Where a canceled request was when the cancel took effect. */
    enum CancelPoint {
        /** The cancel came first; the request was answered on arrival. */
        BEFORE_ARRIVAL,
        /** Waiting for a batch (or for the look-up of an existing result). */
        QUEUED,
        /** In a forward pass: its images left the batch at the next step. */
        RUNNING
    }

    /**
     * The parameters the images were made with, defaults applied.
     *
     * @param seed        the seed used (drawn by the worker when the request had none)
     * @param seedDrawn   whether the worker drew it
     * @param layout      what the images are stored as
     */
    record EffectiveParameters(
            String conditioning, int count, SamplerSettings sampler, double guidance, long seed, boolean seedDrawn,
            int columns, boolean trajectory, ResultLayout layout) {

        public EffectiveParameters {
            Objects.requireNonNull(layout, "layout");
        }
    }

    /** The PNG grid in the store. */
    record StoredGrid(String bucket, String key, String url, String contentType, int width, int height, int count,
            int columns) {}

    /** One image's own PNG in the store: its index in the request (0-based, the grid's order), key and URL. */
    record StoredImage(int index, String key, String url) {}

    /** The animated GIF of the denoising in the store. */
    record StoredTrajectory(String key, String url, String contentType, int frames) {}

    /** Which weights made the images. */
    record ModelInfo(String name, String weightsSha256) {}

    /**
     * Milliseconds spent: waiting for a batch, sampling (first batch start to last batch end), encoding and uploading,
     * and end to end (from the producer's timestamp, or from receipt when it had none).
     */
    record Timings(long queuedMs, long samplingMs, long uploadMs, long endToEndMs) {}

    /**
     * One batch that held some of this request's images.
     *
     * @param images       images in the batch (all requests)
     * @param requests     requests with images in the batch
     * @param ownImages    this request's images in it
     */
    record BatchShare(int images, int requests, int ownImages) {}
}
