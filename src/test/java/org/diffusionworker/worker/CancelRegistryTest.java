package org.diffusionworker.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class CancelRegistryTest {

    private static final long SECOND = 1_000_000_000L;

    @Test
    void aCancelIsRememberedForItsRetentionThenForgotten() {
        CancelRegistry registry = new CancelRegistry(Duration.ofSeconds(10), 100);
        registry.remember("a", 0);
        assertTrue(registry.isCanceled("a", 9 * SECOND));
        assertFalse(registry.isCanceled("b", 9 * SECOND));
        assertFalse(registry.isCanceled("a", 10 * SECOND), "forgotten at the end of its retention");
        assertEquals(0, registry.size());
    }

    @Test
    void aRepeatedCancelRenewsItsRetention() {
        CancelRegistry registry = new CancelRegistry(Duration.ofSeconds(10), 100);
        registry.remember("a", 0);
        registry.remember("b", 5 * SECOND);
        registry.remember("a", 8 * SECOND);
        assertTrue(registry.isCanceled("a", 15 * SECOND));
        assertFalse(registry.isCanceled("b", 15 * SECOND));
    }

    @Test
    void theOldestAreForgottenFirstAtCapacity() {
        CancelRegistry registry = new CancelRegistry(Duration.ofMinutes(15), 3);
        for (int i = 0; i < 5; i++) {
            registry.remember("r" + i, i);
        }
        assertEquals(3, registry.size());
        assertFalse(registry.isCanceled("r0", 10));
        assertFalse(registry.isCanceled("r1", 10));
        assertTrue(registry.isCanceled("r2", 10));
        assertTrue(registry.isCanceled("r4", 10));
        assertEquals(2, registry.forgottenEarly());
    }

    @Test
    void nonsensicalLimitsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new CancelRegistry(Duration.ZERO, 1));
        assertThrows(IllegalArgumentException.class, () -> new CancelRegistry(Duration.ofSeconds(1), 0));
    }
}
