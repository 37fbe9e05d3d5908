package org.diffusionworker.benchmark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class SpreadTest {

    @Test
    void medianAndRange() {
        Spread odd = new Spread(List.of(3.0, 1.0, 2.0));
        assertEquals(2.0, odd.median());
        assertEquals(1.0, odd.min());
        assertEquals(3.0, odd.max());
        assertEquals(2.5, new Spread(List.of(4.0, 1.0, 2.0, 3.0)).median());
        assertEquals("2.00 (1.00-3.00)", odd.format(2));
    }

    @Test
    void ratiosPairRepeatsRunSideBySide() {
        // The second pair ran while the machine was busy: the median of the paired ratios is 2,
        // the ratio of the medians (8 / 5) would be 1.6.
        Spread java = new Spread(List.of(10.0, 3.0, 8.0));
        Spread reference = new Spread(List.of(5.0, 6.0, 4.0));
        Spread ratios = Spread.pairedRatios(java, reference);
        assertEquals(2.0, ratios.median());
        assertEquals(0.5, ratios.min());
        assertEquals(2.0, ratios.max());
        assertEquals(1.6, java.median() / reference.median(), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> Spread.pairedRatios(java, new Spread(List.of(1.0))));
    }
}
