package org.diffusionworker.training.data;

import static org.diffusionworker.training.data.MessageAssertions.assertMentions;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.diffusionworker.imaging.ImageBatch;
import org.junit.jupiter.api.Test;

class ImageDatasetTest {

    private static final List<String> NAMES = List.of("a", "b", "c");

    /** Three 1x1x2 images: image i holds (i / 4, -i / 4); labels 2, 0, 2. */
    private static ImageDataset three() {
        return new ImageDataset(3, 1, 1, 2, new float[] {0, 0, 0.25f, -0.25f, 0.5f, -0.5f}, new int[] {2, 0, 2}, NAMES);
    }

    @Test
    void imageReturnsACopyOfOneImage() {
        ImageDataset dataset = three();
        float[] image = dataset.image(1);
        image[0] = 1;

        assertArrayEquals(new float[] {0.25f, -0.25f}, dataset.image(1));
    }

    @Test
    void subsetCopiesImagesAndLabelsOfTheRange() {
        ImageDataset subset = three().subset(1, 3);

        assertEquals("2x1x1x2", subset.shape());
        assertArrayEquals(new float[] {0.25f, -0.25f, 0.5f, -0.5f}, subset.pixels());
        assertArrayEquals(new int[] {0, 2}, subset.labels());
        assertEquals(NAMES, subset.labelNames());
    }

    @Test
    void takeKeepsTheFirstImagesAndStopsAtTheCount() {
        assertEquals(three().subset(0, 2), three().take(2));
        assertEquals(three(), three().take(1000));
        assertThrows(IllegalArgumentException.class, () -> three().take(0));
    }

    @Test
    void emptyOrOutsideRangesAreRejected() {
        assertThrows(IndexOutOfBoundsException.class, () -> three().subset(2, 2));
        assertThrows(IndexOutOfBoundsException.class, () -> three().subset(0, 4));
        assertThrows(IndexOutOfBoundsException.class, () -> three().image(3));
    }

    @Test
    void selectGathersImagesInTheGivenOrder() {
        ImageDataset selected = three().select(2, 0, 2);

        assertArrayEquals(new float[] {0.5f, -0.5f, 0, 0, 0.5f, -0.5f}, selected.pixels());
        assertArrayEquals(new int[] {2, 2, 2}, selected.labels());
    }

    @Test
    void labelCountsCountEveryLabelIncludingUnusedOnes() {
        assertArrayEquals(new int[] {1, 0, 2}, three().labelCounts());
    }

    @Test
    void contentHashIsStableAcrossVersions() {
        // Pinned: evaluation caches are keyed by this value, so a change here orphans them. Computed
        // apart from this code, from the layout contentHash documents:
        //   sha256(b"diffusion-worker/ImageDataset/v1" + struct.pack(">5i", 3, 1, 1, 2, 3)
        //          + struct.pack(">6f", 0, 0, .25, -.25, .5, -.5) + struct.pack(">3i", 2, 0, 2))
        assertEquals("856b34ac700a57c3c6fab2a34d146a8ba681c968ef606b52dfe43894677071a3", three().contentHash());
    }

    @Test
    void contentHashFollowsPixelsLabelsAndShapeButNotNames() {
        ImageDataset base = three();
        ImageDataset renamed = new ImageDataset(3, 1, 1, 2, base.pixels(), base.labels(), List.of("x", "y", "z"));
        ImageDataset relabelled = new ImageDataset(3, 1, 1, 2, base.pixels(), new int[] {2, 1, 2}, NAMES);
        float[] changed = base.pixels().clone();
        changed[5] = -0.4f;
        ImageDataset repainted = new ImageDataset(3, 1, 1, 2, changed, base.labels(), NAMES);
        ImageDataset reshaped = new ImageDataset(3, 1, 2, 1, base.pixels(), base.labels(), NAMES);
        ImageDataset moreClasses = new ImageDataset(3, 1, 1, 2, base.pixels(), base.labels(),
                List.of("a", "b", "c", "d"));

        assertEquals(base.contentHash(), renamed.contentHash());
        assertNotEquals(base.contentHash(), relabelled.contentHash());
        assertNotEquals(base.contentHash(), repainted.contentHash());
        assertNotEquals(base.contentHash(), reshaped.contentHash());
        assertNotEquals(base.contentHash(), moreClasses.contentHash());
    }

    @Test
    void contentHashCoversDataLargerThanOneDigestChunk() {
        int count = 20_000;
        ImageDataset big = new ImageDataset(count, 1, 1, 1, new float[count], new int[count], NAMES);
        float[] changed = new float[count];
        changed[count - 1] = 0.5f;
        ImageDataset lastDiffers = new ImageDataset(count, 1, 1, 1, changed, new int[count], NAMES);

        assertNotEquals(big.contentHash(), lastDiffers.contentHash());
    }

    @Test
    void labelsOutsideTheNamesAreRejected() {
        IllegalArgumentException tooLarge = assertThrows(IllegalArgumentException.class,
                () -> new ImageDataset(1, 1, 1, 1, new float[1], new int[] {3}, NAMES));
        IllegalArgumentException negative = assertThrows(IllegalArgumentException.class,
                () -> new ImageDataset(1, 1, 1, 1, new float[1], new int[] {-1}, NAMES));

        assertMentions(tooLarge, "label of image 0 is 3", "outside 0..2");
        assertMentions(negative, "label of image 0 is -1");
    }

    @Test
    void pixelsThatDoNotFitTheShapeAreRejected() {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> new ImageDataset(2, 1, 2, 2, new float[7], new int[2], NAMES));

        assertMentions(error, "pixels has 7 values", "2x1x2x2 needs 8");
    }

    @Test
    void labelCountMustMatchTheImageCount() {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> new ImageDataset(2, 1, 1, 1, new float[2], new int[3], NAMES));

        assertMentions(error, "labels has 3 entries but there are 2 images");
    }

    @Test
    void valuesOutsideTheUnitRangeOrNanAreRejected() {
        IllegalArgumentException tooBright = assertThrows(IllegalArgumentException.class,
                () -> new ImageDataset(2, 1, 1, 2, new float[] {0, 0, 0, 255}, new int[2], NAMES));
        IllegalArgumentException notANumber = assertThrows(IllegalArgumentException.class,
                () -> new ImageDataset(1, 1, 1, 1, new float[] {Float.NaN}, new int[1], NAMES));

        assertMentions(tooBright, "value 1 of image 1 is 255.0, outside [-1, 1]");
        assertMentions(notANumber, "NaN");
    }

    @Test
    void channelsOtherThanOneOrThreeAreRejected() {
        assertThrows(IllegalArgumentException.class,
                () -> new ImageDataset(1, 4, 1, 1, new float[4], new int[1], NAMES));
    }

    @Test
    void blankOrDuplicateLabelNamesAreRejected() {
        assertThrows(IllegalArgumentException.class,
                () -> new ImageDataset(1, 1, 1, 1, new float[1], new int[1], List.of("a", " ")));
        assertThrows(IllegalArgumentException.class,
                () -> new ImageDataset(1, 1, 1, 1, new float[1], new int[1], List.of("a", "a")));
        assertThrows(IllegalArgumentException.class,
                () -> new ImageDataset(1, 1, 1, 1, new float[1], new int[1], List.of()));
    }

    @Test
    void equalDataMakesEqualDatasets() {
        assertEquals(three(), three());
        assertEquals(three().hashCode(), three().hashCode());
        assertNotEquals(three(), three().subset(0, 2));
    }

    @Test
    void asImageBatchSharesTheShapeAndPixels() {
        ImageBatch batch = three().asImageBatch();

        assertEquals("3x1x1x2", batch.shape());
        assertEquals(0.5f, batch.value(2, 0, 0, 0));
    }
}
