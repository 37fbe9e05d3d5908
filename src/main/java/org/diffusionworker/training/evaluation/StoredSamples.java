package org.diffusionworker.training.evaluation;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Locale;
import org.diffusionworker.imaging.ImageBatch;

/**
 * Generated images kept on disk in chunks, so that an evaluation stopped part way (hours of CPU for DDPM at N = 300)
 * picks up where it stopped: a chunk already stored for the same model, setting, seed, image indices and labels is
 * read instead of sampled again. Image i of a setting is seeded by (seed, i) whichever chunk it is sampled in, so a
 * resumed evaluation scores the images an uninterrupted one would.
 *
 * <p>A chunk file starts with the SHA-256 of everything that determines its images; a file whose key, size or length
 * does not match (another model, a setting changed, a write cut short) is sampled again and replaced. Files are
 * written to a temporary name and moved into place, so a stopped run leaves no half chunk under the real name.
 */
public final class StoredSamples implements SampleSources {

    private static final int MAGIC = 0x44575331; // "DWS1"

    private final SampleSources inner;
    private final Path directory;
    private final String model;
    private final int chunkImages;
    private int read;
    private int sampled;

    /**
     * @param model       what identifies the weights (their SHA-256), part of every chunk's key
     * @param chunkImages images per chunk: what a stop loses at most
     */
    public StoredSamples(SampleSources inner, Path directory, String model, int chunkImages) {
        if (chunkImages < 1) {
            throw new IllegalArgumentException("images per stored chunk must be >= 1, got " + chunkImages);
        }
        this.inner = inner;
        this.directory = directory;
        this.model = model;
        this.chunkImages = chunkImages;
    }

    @Override
    public int imagesRead() {
        return read;
    }

    /** Images sampled (and stored) so far. */
    public int imagesSampled() {
        return sampled;
    }

    @Override
    public long stepsFor(EvaluationSetting setting, int images) {
        return inner.stepsFor(setting, images);
    }

    @Override
    public SampleSource open(Runnable afterEachStep) {
        SampleSource source = inner.open(afterEachStep);
        return (setting, labels, seed, first) -> {
            ImageBatch firstChunk = null;
            float[] pixels = null;
            for (int from = 0; from < labels.length; from += chunkImages) {
                int to = Math.min(labels.length, from + chunkImages);
                int[] chunkLabels = Arrays.copyOfRange(labels, from, to);
                Path file = directory.resolve(setting.fileStem() + "-seed" + seed + "-" + (first + from) + ".bin");
                byte[] key = key(setting, seed, first + from, chunkLabels);
                ImageBatch chunk = readChunk(file, key, chunkLabels.length);
                if (chunk != null) {
                    read += chunk.count();
                    // The progress bar counts steps: a chunk read counts as sampled.
                    for (long s = inner.stepsFor(setting, chunk.count()); s > 0; s--) {
                        afterEachStep.run();
                    }
                } else {
                    chunk = source.generate(setting, chunkLabels, seed, first + from);
                    writeChunk(file, key, chunk);
                    sampled += chunk.count();
                }
                if (pixels == null) {
                    firstChunk = chunk;
                    pixels = new float[labels.length * chunk.valuesPerImage()];
                }
                System.arraycopy(chunk.pixels(), 0, pixels, from * chunk.valuesPerImage(), chunk.pixels().length);
            }
            return new ImageBatch(labels.length, firstChunk.channels(), firstChunk.height(), firstChunk.width(),
                    pixels);
        };
    }

    private byte[] key(EvaluationSetting setting, long seed, int first, int[] labels) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            String head = String.format(Locale.ROOT, "%s|%s|%s|%d|%d|%d|", model, setting.sampler(),
                    setting.guidance().weight(), seed, first, labels.length);
            sha.update(head.getBytes(StandardCharsets.UTF_8));
            ByteBuffer l = ByteBuffer.allocate(labels.length * Integer.BYTES);
            l.asIntBuffer().put(labels);
            sha.update(l.array());
            return sha.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The chunk stored under {@code file} for {@code key}, or null when there is none (or it does not match). */
    private static ImageBatch readChunk(Path file, byte[] key, int count) {
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try (InputStream in = Files.newInputStream(file); DataInputStream data = new DataInputStream(in)) {
            byte[] stored = new byte[key.length];
            if (data.readInt() != MAGIC) {
                return null;
            }
            data.readFully(stored);
            int n = data.readInt();
            int channels = data.readInt();
            int height = data.readInt();
            int width = data.readInt();
            if (!MessageDigest.isEqual(stored, key) || n != count || channels < 1 || height < 1 || width < 1) {
                return null;
            }
            long values = (long) n * channels * height * width;
            if (Files.size(file) != 4L + key.length + 16 + values * Float.BYTES) {
                return null;
            }
            byte[] raw = data.readNBytes(Math.toIntExact(values * Float.BYTES));
            float[] pixels = new float[(int) values];
            ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(pixels);
            return new ImageBatch(n, channels, height, width, pixels);
        } catch (IOException e) {
            return null;
        }
    }

    private void writeChunk(Path file, byte[] key, ImageBatch chunk) {
        try {
            Files.createDirectories(directory);
            Path partial = file.resolveSibling(file.getFileName() + ".partial");
            try (OutputStream out = Files.newOutputStream(partial); DataOutputStream data = new DataOutputStream(out)) {
                data.writeInt(MAGIC);
                data.write(key);
                data.writeInt(chunk.count());
                data.writeInt(chunk.channels());
                data.writeInt(chunk.height());
                data.writeInt(chunk.width());
                ByteBuffer raw = ByteBuffer.allocate(chunk.pixels().length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
                raw.asFloatBuffer().put(chunk.pixels());
                data.write(raw.array());
            }
            try {
                Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not store generated images in " + file, e);
        }
    }
}
