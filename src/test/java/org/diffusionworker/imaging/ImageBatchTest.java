package org.diffusionworker.imaging;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ImageBatchTest {

    @Test
    void invalidBatchShapeIsRejectedWithMessage() {
        var twoChannels = assertThrows(IllegalArgumentException.class,
                () -> new ImageBatch(1, 2, 2, 2, new float[8]));
        assertTrue(twoChannels.getMessage().contains("channels") && twoChannels.getMessage().contains("was 2"),
                twoChannels.getMessage());

        var zeroHeight = assertThrows(IllegalArgumentException.class,
                () -> new ImageBatch(1, 1, 0, 2, new float[0]));
        assertTrue(zeroHeight.getMessage().contains("height") && zeroHeight.getMessage().contains("was 0"),
                zeroHeight.getMessage());

        var zeroCount = assertThrows(IllegalArgumentException.class,
                () -> new ImageBatch(0, 1, 2, 2, new float[0]));
        assertTrue(zeroCount.getMessage().contains("count"), zeroCount.getMessage());

        var negativeWidth = assertThrows(IllegalArgumentException.class,
                () -> new ImageBatch(1, 1, 2, -3, new float[0]));
        assertTrue(negativeWidth.getMessage().contains("width") && negativeWidth.getMessage().contains("-3"),
                negativeWidth.getMessage());
    }

    @Test
    void pixelCountThatDoesNotMatchShapeIsRejectedWithBothNumbers() {
        var error = assertThrows(IllegalArgumentException.class,
                () -> new ImageBatch(2, 3, 4, 4, new float[95]));
        assertEquals("pixels has 95 values but shape 2x3x4x4 needs 96", error.getMessage());
    }

    @Test
    void shapeWhoseProductOverflowsIntIsRejected() {
        // 65536 * 3 * 65536 * 1 wraps to 0 in int arithmetic; it must not match an empty array.
        assertThrows(IllegalArgumentException.class, () -> new ImageBatch(65536, 3, 65536, 1, new float[0]));
    }

    @Test
    void valueReadsNchwOrder() {
        ImageBatch batch = new ImageBatch(2, 3, 2, 2, sequence(24));
        assertEquals(0f, batch.value(0, 0, 0, 0));
        assertEquals(1f, batch.value(0, 0, 0, 1));
        assertEquals(2f, batch.value(0, 0, 1, 0));
        assertEquals(4f, batch.value(0, 1, 0, 0));
        assertEquals(12f, batch.value(1, 0, 0, 0));
        assertEquals(23f, batch.value(1, 2, 1, 1));
        assertThrows(IndexOutOfBoundsException.class, () -> batch.value(2, 0, 0, 0));
    }

    @Test
    void imageTakesOneImageAsBatchOfOne() {
        ImageBatch batch = new ImageBatch(3, 1, 2, 2, sequence(12));
        ImageBatch second = batch.image(1);
        assertEquals(1, second.count());
        assertArrayEquals(new float[] {4, 5, 6, 7}, second.pixels());
        assertThrows(IndexOutOfBoundsException.class, () -> batch.image(3));
    }

    @Test
    void rangeTakesConsecutiveImagesAsCopy() {
        float[] pixels = sequence(12);
        ImageBatch batch = new ImageBatch(3, 1, 2, 2, pixels);
        ImageBatch lastTwo = batch.range(1, 3);
        assertEquals("2x1x2x2", lastTwo.shape());
        assertArrayEquals(new float[] {4, 5, 6, 7, 8, 9, 10, 11}, lastTwo.pixels());
        pixels[4] = -1f;
        assertEquals(4f, lastTwo.pixels()[0], "a range does not share the source array");
    }

    @Test
    void emptyOrOutOfBoundsRangeIsRejected() {
        ImageBatch batch = new ImageBatch(3, 1, 2, 2, sequence(12));
        assertThrows(IndexOutOfBoundsException.class, () -> batch.range(2, 2));
        assertThrows(IndexOutOfBoundsException.class, () -> batch.range(-1, 1));
        var error = assertThrows(IndexOutOfBoundsException.class, () -> batch.range(1, 4));
        assertTrue(error.getMessage().contains("[1, 4)"), error.getMessage());
    }

    @Test
    void batchesWithEqualValuesAreEqual() {
        ImageBatch one = new ImageBatch(1, 1, 2, 2, sequence(4));
        ImageBatch same = new ImageBatch(1, 1, 2, 2, sequence(4));
        ImageBatch transposed = new ImageBatch(1, 1, 1, 4, sequence(4));
        assertEquals(one, same);
        assertEquals(one.hashCode(), same.hashCode());
        assertNotEquals(one, transposed);
        assertEquals("ImageBatch[1x1x2x2]", one.toString());
    }

    static float[] sequence(int length) {
        float[] values = new float[length];
        for (int i = 0; i < length; i++) {
            values[i] = i;
        }
        return values;
    }
}
