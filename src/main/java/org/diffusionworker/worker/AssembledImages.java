package org.diffusionworker.worker;

import java.util.ArrayList;
import java.util.List;
import org.diffusionworker.generation.GeneratedImages;
import org.diffusionworker.imaging.ImageBatch;

/**
 * A request's images (and trajectory frames) put together from the batches its slices were sampled in, each image at
 * its index. Guarded by its {@link Job}'s lock.
 */
final class AssembledImages {

    private final int count;
    private final boolean trajectory;
    private float[] pixels;
    private List<float[]> frames;
    private int channels;
    private int height;
    private int width;
    private int sampled;

    AssembledImages(int count, boolean trajectory) {
        this.count = count;
        this.trajectory = trajectory;
    }

    /** Puts images {@code [from, to)} in, taken from {@code batch} at {@code offset}; returns the images in so far. */
    int put(int from, int to, GeneratedImages batch, int offset) {
        int per = batch.valuesPerImage();
        if (pixels == null) {
            channels = batch.channels();
            height = batch.height();
            width = batch.width();
            pixels = new float[count * per];
            frames = new ArrayList<>();
        }
        System.arraycopy(batch.pixels(), offset * per, pixels, from * per, (to - from) * per);
        if (trajectory) {
            for (int f = 0; f < batch.trajectory().size(); f++) {
                if (frames.size() <= f) {
                    frames.add(new float[count * per]);
                }
                System.arraycopy(batch.trajectory().get(f), offset * per, frames.get(f), from * per,
                        (to - from) * per);
            }
        }
        sampled += to - from;
        return sampled;
    }

    ImageBatch images() {
        return new ImageBatch(count, channels, height, width, pixels);
    }

    List<ImageBatch> trajectory() {
        List<ImageBatch> result = new ArrayList<>(frames.size());
        for (float[] frame : frames) {
            result.add(new ImageBatch(count, channels, height, width, frame));
        }
        return result;
    }
}
