package org.diffusionworker.imaging;

import java.time.Duration;
import java.util.Objects;

/**
 * How long an animated GIF shows each frame. GIF stores delays in hundredths of a second, so
 * delays are rounded to the nearest 10 ms.
 *
 * @param frameDelay how long each frame but the last is shown
 * @param lastFrameDelay how long the last frame is shown before the loop starts again
 */
public record GifTiming(Duration frameDelay, Duration lastFrameDelay) {

    // Declared before DEFAULT: static fields initialise in order and its constructor checks these.
    // Below 10 ms there is nothing to store; many viewers also slow delays under 20 ms down to 100 ms.
    private static final Duration SHORTEST = Duration.ofMillis(10);
    // The delay field is an unsigned 16-bit count of hundredths of a second.
    private static final Duration LONGEST = Duration.ofMillis(65_535L * 10);

    /** 100 ms a frame; the finished sample stays 1 s, so it can be seen before the loop restarts. */
    public static final GifTiming DEFAULT = new GifTiming(Duration.ofMillis(100), Duration.ofSeconds(1));

    public GifTiming {
        checkRange("frameDelay", frameDelay);
        checkRange("lastFrameDelay", lastFrameDelay);
    }

    /** Every frame, the last included, shown for {@code delay}. */
    public static GifTiming uniform(Duration delay) {
        return new GifTiming(delay, delay);
    }

    /** The frame delay in hundredths of a second, as the GIF graphic control extension stores it. */
    public int frameDelayCentiseconds() {
        return toCentiseconds(frameDelay);
    }

    /** The last frame's delay in hundredths of a second. */
    public int lastFrameDelayCentiseconds() {
        return toCentiseconds(lastFrameDelay);
    }

    private static int toCentiseconds(Duration delay) {
        return (int) Math.round(delay.toMillis() / 10.0);
    }

    private static void checkRange(String name, Duration delay) {
        Objects.requireNonNull(delay, name);
        if (delay.compareTo(SHORTEST) < 0 || delay.compareTo(LONGEST) > 0) {
            throw new IllegalArgumentException(name + " must be between " + SHORTEST.toMillis() + " ms and "
                    + LONGEST.toMillis() + " ms, was " + delay.toMillis() + " ms");
        }
    }
}
