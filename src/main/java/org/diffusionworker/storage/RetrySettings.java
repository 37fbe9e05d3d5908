package org.diffusionworker.storage;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * How transient storage failures are retried: at most {@code maxAttempts} calls in all, waiting between them with
 * exponential backoff that starts at {@code initialBackoff} and doubles up to {@code maxBackoff}.
 */
public record RetrySettings(int maxAttempts, Duration initialBackoff, Duration maxBackoff) {

    public RetrySettings {
        Objects.requireNonNull(initialBackoff, "initialBackoff");
        Objects.requireNonNull(maxBackoff, "maxBackoff");
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be at least 1 (1 = no retry), got " + maxAttempts);
        }
        if (initialBackoff.isNegative()) {
            throw new IllegalArgumentException("initialBackoff must not be negative, got " + initialBackoff);
        }
        if (maxBackoff.compareTo(initialBackoff) < 0) {
            throw new IllegalArgumentException("maxBackoff (" + maxBackoff + ") must not be shorter than initialBackoff (" + initialBackoff + ")");
        }
    }

    /** Five attempts, 200 ms doubling to 5 s: rides out a store restart of a few seconds. */
    public static RetrySettings defaults() {
        return new RetrySettings(5, Duration.ofMillis(200), Duration.ofSeconds(5));
    }

    /** One attempt only. */
    public static RetrySettings none() {
        return new RetrySettings(1, Duration.ZERO, Duration.ZERO);
    }

    /**
     * The wait after failed attempt number {@code attempt} (1-based): initialBackoff * 2^(attempt-1), capped at
     * maxBackoff, then "equal jitter" (a random point in its upper half) so that many workers that lost the store at
     * the same moment do not come back in lock step (AWS Architecture Blog, "Exponential Backoff And Jitter").
     */
    public Duration backoffAfter(int attempt) {
        if (attempt < 1) {
            throw new IllegalArgumentException("attempt is 1-based, got " + attempt);
        }
        long initialNanos = initialBackoff.toNanos();
        long maxNanos = maxBackoff.toNanos();
        int doublings = Math.min(attempt - 1, 62);
        long capped = initialNanos > (maxNanos >> doublings) ? maxNanos : Math.min(maxNanos, initialNanos << doublings);
        long half = capped / 2;
        return Duration.ofNanos(half + ThreadLocalRandom.current().nextLong(capped - half + 1));
    }
}
