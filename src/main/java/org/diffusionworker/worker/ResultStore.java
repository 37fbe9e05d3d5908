package org.diffusionworker.worker;

import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.stream.IntStream;
import org.diffusionworker.diffusion.SamplerSettings;
import org.diffusionworker.imaging.GifTiming;
import org.diffusionworker.imaging.GridOptions;
import org.diffusionworker.imaging.ImageBatch;
import org.diffusionworker.imaging.ImageGrid;
import org.diffusionworker.imaging.PngEncoder;
import org.diffusionworker.imaging.TrajectoryGif;
import org.diffusionworker.storage.ObjectKeys;
import org.diffusionworker.storage.ObjectStore;
import org.diffusionworker.storage.StoredObject;

/**
 * Turns a finished job into objects in the store, and an object already in the store back into a result.
 *
 * <p>Keys come from the request id alone ({@link ObjectKeys}), so a redelivered request maps to the same objects. Every
 * layout has one <b>done marker</b>, written last and carrying the parameters' fingerprint (the layout included) in
 * its metadata: its presence means "done", and a later request with the same id is answered from it (same
 * fingerprint) or refused (different fingerprint). The marker is the grid for {@link ResultLayout#GRID} and
 * {@link ResultLayout#BOTH} (written after the single images), as it always was, so results stored before layouts
 * existed are still found; for {@link ResultLayout#IMAGES}, which stores no grid, it is the small list of the images,
 * {@code images.json}, written after them. Not the last image: its key depends on the count, so a request with another
 * count or layout could not find it, while the list's key depends on the id alone. A look-up stats its own layout's
 * marker, then the other one, so the same id stored as another layout is found and refused too.
 */
final class ResultStore {

    static final String PNG = "image/png";
    static final String GIF = "image/gif";
    static final String JSON = "application/json";

    // User metadata names (lower case, they travel as x-amz-meta-* headers).
    static final String FINGERPRINT = "params-sha256";
    static final String LAYOUT = "layout";
    private static final String MODEL = "model";
    private static final String WEIGHTS = "weights-sha256";
    private static final String SEED = "seed";
    private static final String SEED_DRAWN = "seed-drawn";
    private static final String SAMPLER = "sampler";
    private static final String STEPS = "steps";
    private static final String ETA = "eta";
    private static final String GUIDANCE = "guidance";
    private static final String COUNT = "count";
    private static final String COLUMNS = "columns";
    private static final String WIDTH = "width";
    private static final String HEIGHT = "height";
    private static final String CONDITIONING = "conditioning";
    private static final String FRAMES = "trajectory-frames";
    private static final String INDEX = "index";
    private static final int MAX_METADATA_VALUE = 256;
    /** A single image is a grid of one without the border: the same levels as its cell in the grid. */
    private static final GridOptions SINGLE = GridOptions.DEFAULT.withColumns(1).withPadding(0);
    /**
     * Single images put at once, all requests together. 64 PNGs of 28x28 to S3Proxy on the same 2 busy cores: 422 ms
     * one after the other, 227 ms over 8 threads (medians of 7 interleaved rounds, ImageUploadBenchmark); a store
     * across a network gains more, each put being mostly waiting.
     */
    static final int PARALLEL_PUTS = 8;

    private final ObjectStore store;
    private final ObjectKeys keys;
    private final Outcome.ModelInfo model;
    private final Executor imagePuts;

    /**
     * A job's images encoded, ready to upload (again, after a storage failure).
     *
     * @param png    the grid; null when the layout stores none
     * @param images each image's own PNG, by index; empty when the layout stores none
     */
    record Encoded(byte[] png, int width, int height, List<byte[]> images, byte[] gif, int frames) {}

    /** @param imagePuts where single images are put, side by side; none of its tasks waits for another */
    ResultStore(ObjectStore store, ObjectKeys keys, Outcome.ModelInfo model, Executor imagePuts) {
        this.store = store;
        this.keys = keys;
        this.model = model;
        this.imagePuts = imagePuts;
    }

    Outcome.ModelInfo model() {
        return model;
    }

    /** The done marker of {@code job}'s result, or of a result stored under its id with another layout. */
    Optional<StoredObject> lookup(Job job) {
        String id = job.requestId();
        String grid = keys.grid(id);
        String manifest = keys.imagesManifest(id);
        List<String> markers = job.parameters().layout().storesGrid() ? List.of(grid, manifest)
                : List.of(manifest, grid);
        for (String marker : markers) {
            Optional<StoredObject> found = store.stat(marker);
            if (found.isPresent()) {
                return found;
            }
        }
        return Optional.empty();
    }

    Encoded encode(Job job) {
        ResultLayout layout = job.parameters().layout();
        GridOptions grid = GridOptions.DEFAULT.withColumns(job.parameters().columns());
        ImageBatch all = job.images();
        byte[] png = null;
        int width = 0;
        int height = 0;
        if (layout.storesGrid()) {
            BufferedImage picture = ImageGrid.render(all, grid);
            png = PngEncoder.encode(picture);
            width = picture.getWidth();
            height = picture.getHeight();
        }
        List<byte[]> images = List.of();
        if (layout.storesImages()) {
            images = IntStream.range(0, all.count())
                    .mapToObj(i -> PngEncoder.encode(ImageGrid.render(all.image(i), SINGLE))).toList();
        }
        byte[] gif = null;
        int frames = 0;
        if (job.parameters().trajectory()) {
            List<ImageBatch> trajectory = job.trajectory();
            frames = trajectory.size();
            gif = TrajectoryGif.encode(trajectory, grid, GifTiming.DEFAULT);
        }
        return new Encoded(png, width, height, images, gif, frames);
    }

    /** Uploads the GIF (if any) and the single images (if any), then the done marker; returns where they are. */
    Stored store(Job job, Encoded encoded) {
        String id = job.requestId();
        Optional<Outcome.StoredTrajectory> trajectory = Optional.empty();
        if (encoded.gif() != null) {
            String gifKey = keys.trajectory(id);
            store.put(gifKey, encoded.gif(), GIF, Map.of(FINGERPRINT, job.fingerprint()));
            trajectory = Optional.of(new Outcome.StoredTrajectory(gifKey, store.url(gifKey), GIF, encoded.frames()));
        }
        putImages(job, encoded.images());
        List<Outcome.StoredImage> images = storedImages(id, encoded.images().size());
        Optional<Outcome.StoredGrid> grid = Optional.empty();
        if (encoded.png() != null) {
            String gridKey = keys.grid(id);
            store.put(gridKey, encoded.png(), PNG, metadata(job, encoded));
            grid = Optional.of(new Outcome.StoredGrid(store.bucket(), gridKey, store.url(gridKey), PNG,
                    encoded.width(), encoded.height(), job.count(), job.parameters().columns()));
        } else {
            store.put(keys.imagesManifest(id), manifest(id, images), JSON, metadata(job, encoded));
        }
        return new Stored(grid, images, trajectory);
    }

    record Stored(Optional<Outcome.StoredGrid> grid, List<Outcome.StoredImage> images,
            Optional<Outcome.StoredTrajectory> trajectory) {}

    /**
     * The answer to {@code request} (resolved as {@code job}) when a done marker exists under its id: the same result
     * again when it was made for the same parameters (and so the same layout and count: the same keys), otherwise a
     * conflict.
     */
    Outcome fromExisting(GenerationRequest request, Job job, StoredObject existing, long endToEndMs) {
        Map<String, String> m = existing.metadata();
        String fingerprint = m.get(FINGERPRINT);
        if (!job.fingerprint().equals(fingerprint)) {
            String what = fingerprint == null ? "an object this worker did not write"
                    : "a result made with different parameters (" + describeStored(m) + ")";
            return new Outcome.Failed(request, ErrorCode.CONFLICT, "request id '" + request.requestId()
                    + "' was already used for " + what + "; use a new request id for new parameters");
        }
        try {
            Outcome.EffectiveParameters p = job.parameters();
            Outcome.EffectiveParameters stored = new Outcome.EffectiveParameters(p.conditioning(), p.count(),
                    p.sampler(), p.guidance(), Long.parseLong(m.get(SEED)), Boolean.parseBoolean(m.get(SEED_DRAWN)),
                    p.columns(), p.trajectory(), p.layout());
            Optional<Outcome.StoredGrid> grid = Optional.empty();
            if (p.layout().storesGrid()) {
                grid = Optional.of(new Outcome.StoredGrid(store.bucket(), existing.key(), store.url(existing.key()),
                        PNG, Integer.parseInt(m.get(WIDTH)), Integer.parseInt(m.get(HEIGHT)), p.count(), p.columns()));
            }
            List<Outcome.StoredImage> images = p.layout().storesImages() ? storedImages(request.requestId(), p.count())
                    : List.of();
            int frames = Integer.parseInt(m.getOrDefault(FRAMES, "0"));
            Optional<Outcome.StoredTrajectory> trajectory = Optional.empty();
            if (p.trajectory()) {
                String gifKey = keys.trajectory(request.requestId());
                trajectory = Optional.of(new Outcome.StoredTrajectory(gifKey, store.url(gifKey), GIF, frames));
            }
            Outcome.ModelInfo madeBy = new Outcome.ModelInfo(m.getOrDefault(MODEL, model.name()),
                    m.getOrDefault(WEIGHTS, model.weightsSha256()));
            return new Outcome.Completed(request, stored, grid, images, trajectory, madeBy,
                    new Outcome.Timings(0, 0, 0, endToEndMs), List.of(), true);
        } catch (RuntimeException e) {
            return new Outcome.Failed(request, ErrorCode.CONFLICT, "request id '" + request.requestId()
                    + "' already has a result whose metadata this worker cannot read; use a new request id");
        }
    }

    /**
     * Puts the single images side by side on {@link #imagePuts} and waits for every put, so that none is still running
     * when the step ends or is tried again; then throws the first failure as it was (an {@code ObjectStoreException}
     * stays one, for the {@link StorageGuard} to retry).
     */
    private void putImages(Job job, List<byte[]> images) {
        List<CompletableFuture<Void>> puts = new ArrayList<>(images.size());
        for (int i = 0; i < images.size(); i++) {
            String key = keys.image(job.requestId(), i);
            byte[] png = images.get(i);
            Map<String, String> metadata = Map.of(FINGERPRINT, job.fingerprint(), INDEX, Integer.toString(i));
            puts.add(CompletableFuture.runAsync(() -> store.put(key, png, PNG, metadata), imagePuts));
        }
        Throwable first = null;
        for (CompletableFuture<Void> put : puts) {
            try {
                put.join();
            } catch (CompletionException e) {
                first = first != null ? first : e.getCause() != null ? e.getCause() : e;
            }
        }
        if (first instanceof RuntimeException r) {
            throw r;
        }
        if (first instanceof Error e) {
            throw e;
        }
        if (first != null) {
            throw new IllegalStateException("putting an image failed", first);
        }
    }

    /** The single images of request {@code id}: keys from the id and index alone, so a later answer lists the same. */
    private List<Outcome.StoredImage> storedImages(String id, int count) {
        List<Outcome.StoredImage> images = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            String key = keys.image(id, i);
            images.add(new Outcome.StoredImage(i, key, store.url(key)));
        }
        return images;
    }

    /**
     * The body of {@code images.json}: the id and the images' keys (no URLs: presigned ones expire). Written by hand:
     * ids and keys are {@code [A-Za-z0-9._/-]}, nothing in them needs escaping.
     */
    static byte[] manifest(String id, List<Outcome.StoredImage> images) {
        StringBuilder json = new StringBuilder("{\"requestId\":\"").append(id).append("\",\"layout\":\"")
                .append(ResultLayout.IMAGES.id()).append("\",\"count\":").append(images.size()).append(",\"images\":[");
        for (int i = 0; i < images.size(); i++) {
            Outcome.StoredImage image = images.get(i);
            json.append(i == 0 ? "" : ",").append("{\"index\":").append(image.index()).append(",\"key\":\"")
                    .append(image.key()).append("\"}");
        }
        return json.append("]}").toString().getBytes(StandardCharsets.US_ASCII);
    }

    private Map<String, String> metadata(Job job, Encoded encoded) {
        Outcome.EffectiveParameters p = job.parameters();
        Map<String, String> m = new LinkedHashMap<>();
        m.put(FINGERPRINT, job.fingerprint());
        m.put(LAYOUT, p.layout().id());
        m.put(MODEL, ascii(model.name()));
        m.put(WEIGHTS, ascii(model.weightsSha256()));
        m.put(SEED, Long.toString(p.seed()));
        m.put(SEED_DRAWN, Boolean.toString(p.seedDrawn()));
        m.put(SAMPLER, samplerId(p.sampler()));
        m.put(STEPS, Integer.toString(p.sampler().steps()));
        m.put(ETA, Double.toString(p.sampler().eta()));
        m.put(GUIDANCE, Double.toString(p.guidance()));
        m.put(COUNT, Integer.toString(p.count()));
        m.put(COLUMNS, Integer.toString(p.columns()));
        if (encoded.png() != null) {
            m.put(WIDTH, Integer.toString(encoded.width()));
            m.put(HEIGHT, Integer.toString(encoded.height()));
        }
        m.put(CONDITIONING, ascii(p.conditioning()));
        m.put(FRAMES, Integer.toString(encoded.frames()));
        return m;
    }

    private static String describeStored(Map<String, String> m) {
        return m.getOrDefault(CONDITIONING, "?") + ", " + m.getOrDefault(COUNT, "?") + " image(s), layout "
                + m.getOrDefault(LAYOUT, ResultLayout.GRID.id()) + ", "
                + m.getOrDefault(SAMPLER, "?") + " " + m.getOrDefault(STEPS, "?") + " steps, guidance "
                + m.getOrDefault(GUIDANCE, "?") + ", seed " + m.getOrDefault(SEED, "?");
    }

    static String samplerId(SamplerSettings sampler) {
        return sampler.kind().id();
    }

    /** Printable ASCII only (metadata travels as HTTP headers), shortened. */
    private static String ascii(String value) {
        StringBuilder s = new StringBuilder();
        value.codePoints().limit(MAX_METADATA_VALUE).forEach(c -> s.append(c >= 0x20 && c <= 0x7e ? (char) c : '?'));
        return s.toString();
    }
}
