package org.diffusionworker.training.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The seeded order in which the trainers visit a dataset: a permutation per epoch, fixed by the seed. */
class TrainingOrderTest {

    @Test
    void everyEpochIsADifferentPermutationFixedByTheSeed() {
        TrainingOrder order = new TrainingOrder(5);
        int[] first = order.permutation(0, 1000);
        assertArrayEquals(first, new TrainingOrder(5).permutation(0, 1000));
        assertFalse(Arrays.equals(first, order.permutation(1, 1000)));
        assertFalse(Arrays.equals(first, new TrainingOrder(6).permutation(0, 1000)));
        int[] sorted = first.clone();
        Arrays.sort(sorted);
        for (int i = 0; i < sorted.length; i++) {
            assertEquals(i, sorted[i]);
        }
    }
}
