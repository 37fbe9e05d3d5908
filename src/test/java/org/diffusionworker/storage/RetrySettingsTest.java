package org.diffusionworker.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;

import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

class RetrySettingsTest {

    private final RetrySettings retry = new RetrySettings(10, Duration.ofMillis(100), Duration.ofSeconds(1));

    @RepeatedTest(20)
    void backoffDoublesWithinTheUpperHalfAndStopsAtTheCap() {
        assertBetween(50, 100, retry.backoffAfter(1));
        assertBetween(100, 200, retry.backoffAfter(2));
        assertBetween(200, 400, retry.backoffAfter(3));
        assertBetween(400, 800, retry.backoffAfter(4));
        assertBetween(500, 1000, retry.backoffAfter(5));
        assertBetween(500, 1000, retry.backoffAfter(64));
        assertBetween(500, 1000, retry.backoffAfter(Integer.MAX_VALUE));
    }

    @Test
    void noRetryMeansOneAttemptAndNoWait() {
        assertEquals(1, RetrySettings.none().maxAttempts());
        assertEquals(Duration.ZERO, RetrySettings.none().backoffAfter(1));
    }

    @Test
    void inconsistentSettingsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new RetrySettings(0, Duration.ZERO, Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> new RetrySettings(3, Duration.ofMillis(-1), Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> new RetrySettings(3, Duration.ofSeconds(2), Duration.ofSeconds(1)));
    }

    private static void assertBetween(long minMillis, long maxMillis, Duration actual) {
        assertTrue(actual.toMillis() >= minMillis && actual.toMillis() <= maxMillis,
                actual.toMillis() + " ms not in [" + minMillis + ", " + maxMillis + "]");
    }
}
