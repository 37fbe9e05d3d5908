package org.diffusionworker.generation;

/**
 * One image to generate: its context vector, and the (seed, index) that fix its noise.
 *
 * @param context the context vector over the model's labels
 * @param seed the request's seed
 * @param index the image's position within its request
 */
public record ImageSlot(float[] context, long seed, int index) {
    public ImageSlot {
        if (context == null) {
            throw new IllegalArgumentException("context vector is required");
        }
        if (index < 0) {
            throw new IllegalArgumentException("image index must be >= 0, got " + index);
        }
    }
}
