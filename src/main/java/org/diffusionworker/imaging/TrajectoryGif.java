package org.diffusionworker.imaging;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** An animated GIF of a sampling trajectory: one grid of the whole batch per saved step. */
public final class TrajectoryGif {

    private TrajectoryGif() {
    }

    /**
     * The GIF of {@code steps}, each laid out with {@code grid}, first step first. Each step is
     * normalised on its own, as the course normalises every saved step, so with MIN_MAX early
     * noisy steps use the full range just like the final sample.
     */
    public static byte[] encode(List<ImageBatch> steps, GridOptions grid, GifTiming timing) {
        Objects.requireNonNull(steps, "steps");
        Objects.requireNonNull(grid, "grid");
        if (steps.isEmpty()) {
            throw new IllegalArgumentException("a trajectory needs at least one step, got none");
        }
        ImageBatch first = steps.get(0);
        List<BufferedImage> frames = new ArrayList<>(steps.size());
        for (int i = 0; i < steps.size(); i++) {
            ImageBatch step = Objects.requireNonNull(steps.get(i), "step " + i);
            if (!step.hasSameShapeAs(first)) {
                throw new IllegalArgumentException(
                        "step " + i + " has shape " + step.shape() + " but step 0 has " + first.shape());
            }
            frames.add(ImageGrid.render(step, grid));
        }
        return AnimatedGifEncoder.encode(frames, timing);
    }

    /** Writes the GIF of {@code steps} to {@code file}, replacing what is there. */
    public static void write(List<ImageBatch> steps, GridOptions grid, GifTiming timing, Path file)
            throws IOException {
        Files.write(file, encode(steps, grid, timing));
    }
}
