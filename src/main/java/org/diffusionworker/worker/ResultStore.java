package org.diffusionworker.worker;

import java.awt.image.BufferedImage;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
 * <p>Keys come from the request id alone ({@link ObjectKeys}), so a redelivered request maps to the same object. The
 * grid is written last and carries the parameters' fingerprint in its metadata: its presence means "done", and a
 * later request with the same id is answered from it (same fingerprint) or refused (different fingerprint).
 */
final class ResultStore {

    static final String PNG = "image/png";
    static final String GIF = "image/gif";

    // User metadata names (lower case, they travel as x-amz-meta-* headers).
    static final String FINGERPRINT = "params-sha256";
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
    private static final int MAX_METADATA_VALUE = 256;

    private final ObjectStore store;
    private final ObjectKeys keys;
    private final Outcome.ModelInfo model;

    /** A job's grid (and GIF) encoded, ready to upload (again, after a storage failure). */
    record Encoded(byte[] png, int width, int height, byte[] gif, int frames) {}

    ResultStore(ObjectStore store, ObjectKeys keys, Outcome.ModelInfo model) {
        this.store = store;
        this.keys = keys;
        this.model = model;
    }

    Outcome.ModelInfo model() {
        return model;
    }

    String gridKey(String requestId) {
        return keys.grid(requestId);
    }

    Optional<StoredObject> lookup(Job job) {
        return store.stat(keys.grid(job.requestId()));
    }

    Encoded encode(Job job) {
        GridOptions grid = GridOptions.DEFAULT.withColumns(job.parameters().columns());
        BufferedImage picture = ImageGrid.render(job.images(), grid);
        byte[] png = PngEncoder.encode(picture);
        byte[] gif = null;
        int frames = 0;
        if (job.parameters().trajectory()) {
            List<ImageBatch> trajectory = job.trajectory();
            frames = trajectory.size();
            gif = TrajectoryGif.encode(trajectory, grid, GifTiming.DEFAULT);
        }
        return new Encoded(png, picture.getWidth(), picture.getHeight(), gif, frames);
    }

    /** Uploads the GIF (if any), then the grid; returns where they are. */
    Stored store(Job job, Encoded encoded) {
        String gridKey = keys.grid(job.requestId());
        Optional<Outcome.StoredTrajectory> trajectory = Optional.empty();
        if (encoded.gif() != null) {
            String gifKey = keys.trajectory(job.requestId());
            store.put(gifKey, encoded.gif(), GIF, Map.of(FINGERPRINT, job.fingerprint()));
            trajectory = Optional.of(new Outcome.StoredTrajectory(gifKey, store.url(gifKey), GIF, encoded.frames()));
        }
        store.put(gridKey, encoded.png(), PNG, metadata(job, encoded));
        Outcome.StoredGrid grid = new Outcome.StoredGrid(store.bucket(), gridKey, store.url(gridKey), PNG,
                encoded.width(), encoded.height(), job.count(), job.parameters().columns());
        return new Stored(grid, trajectory);
    }

    record Stored(Outcome.StoredGrid grid, Optional<Outcome.StoredTrajectory> trajectory) {}

    /**
     * The answer to {@code request} (resolved as {@code job}) when its grid already exists: the same result again
     * when it was made for the same parameters, otherwise a conflict.
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
                    p.columns(), p.trajectory());
            Outcome.StoredGrid grid = new Outcome.StoredGrid(store.bucket(), existing.key(), store.url(existing.key()),
                    PNG, Integer.parseInt(m.get(WIDTH)), Integer.parseInt(m.get(HEIGHT)), p.count(), p.columns());
            int frames = Integer.parseInt(m.getOrDefault(FRAMES, "0"));
            Optional<Outcome.StoredTrajectory> trajectory = Optional.empty();
            if (p.trajectory()) {
                String gifKey = keys.trajectory(request.requestId());
                trajectory = Optional.of(new Outcome.StoredTrajectory(gifKey, store.url(gifKey), GIF, frames));
            }
            Outcome.ModelInfo madeBy = new Outcome.ModelInfo(m.getOrDefault(MODEL, model.name()),
                    m.getOrDefault(WEIGHTS, model.weightsSha256()));
            return new Outcome.Completed(request, stored, grid, trajectory, madeBy,
                    new Outcome.Timings(0, 0, 0, endToEndMs), List.of(), true);
        } catch (RuntimeException e) {
            return new Outcome.Failed(request, ErrorCode.CONFLICT, "request id '" + request.requestId()
                    + "' already has a result whose metadata this worker cannot read; use a new request id");
        }
    }

    private Map<String, String> metadata(Job job, Encoded encoded) {
        Outcome.EffectiveParameters p = job.parameters();
        Map<String, String> m = new LinkedHashMap<>();
        m.put(FINGERPRINT, job.fingerprint());
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
        m.put(WIDTH, Integer.toString(encoded.width()));
        m.put(HEIGHT, Integer.toString(encoded.height()));
        m.put(CONDITIONING, ascii(p.conditioning()));
        m.put(FRAMES, Integer.toString(encoded.frames()));
        return m;
    }

    private static String describeStored(Map<String, String> m) {
        return m.getOrDefault(CONDITIONING, "?") + ", " + m.getOrDefault(COUNT, "?") + " image(s), "
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
