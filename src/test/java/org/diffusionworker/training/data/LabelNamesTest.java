package org.diffusionworker.training.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class LabelNamesTest {

    @Test
    void fashionMnistHasTenNamesInLabelOrder() {
        assertEquals(10, LabelNames.FASHION_MNIST.size());
        assertEquals("t-shirt/top", LabelNames.FASHION_MNIST.get(0));
        assertEquals("ankle-boot", LabelNames.FASHION_MNIST.get(9));
    }

    @Test
    void mnistNamesAreTheDigits() {
        assertEquals(List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"), LabelNames.MNIST);
    }

    @Test
    void parseKnowsThePresetsInAnyCase() {
        assertEquals(LabelNames.FASHION_MNIST, LabelNames.parse("Fashion-MNIST"));
        assertEquals(LabelNames.MNIST, LabelNames.parse("mnist"));
        assertEquals(LabelNames.SPRITES, LabelNames.parse("sprites"));
    }

    @Test
    void parseSplitsAListOnCommasAndTrims() {
        assertEquals(List.of("cat", "dog", "bird"), LabelNames.parse("cat, dog ,bird"));
    }

    @Test
    void parseRejectsBlankOrDuplicateNames() {
        assertThrows(IllegalArgumentException.class, () -> LabelNames.parse("cat,,dog"));
        assertThrows(IllegalArgumentException.class, () -> LabelNames.parse("cat,cat"));
        assertThrows(IllegalArgumentException.class, () -> LabelNames.parse(" "));
    }

    @Test
    void numberedNamesCountFromZero() {
        assertEquals(List.of("0", "1", "2"), LabelNames.numbered(3));
        assertThrows(IllegalArgumentException.class, () -> LabelNames.numbered(0));
    }
}
