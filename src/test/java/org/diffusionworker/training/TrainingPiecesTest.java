package org.diffusionworker.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.diffusionworker.diffusion.NoiseSchedule;
import org.diffusionworker.training.data.ImageDataset;
import org.diffusionworker.training.data.SyntheticShapes;
import org.diffusionworker.training.data.TrainingOrder;
import org.junit.jupiter.api.Test;
import org.diffusionworker.imaging.ChartFrame;

/** The trainer's pure-Java parts: schedule, noising, loss plot (the data order: {@code TrainingOrderTest}). */
class TrainingPiecesTest {

    @Test
    void learningRateDecaysLinearlyByEpochAsTheSeed() {
        EpochLinearDecay decay = new EpochLinearDecay(1e-3, 4, 10);
        // DJL counts updates from 1: updates 1..10 are epoch 0, 11..20 epoch 1, ...
        assertEquals(1e-3f, decay.getNewValue(1), 1e-9f);
        assertEquals(1e-3f, decay.getNewValue(10), 1e-9f);
        assertEquals(0.75e-3f, decay.getNewValue(11), 1e-9f);
        assertEquals(0.25e-3f, decay.getNewValue(40), 1e-9f);
        assertEquals(0.5e-3f, decay.atEpoch(2), 1e-9f);
    }

    @Test
    void aBatchIsNoisedWithTheSquareRootOfOneMinusAlphaBar() {
        ImageDataset data = SyntheticShapes.make(40, 8, 3);
        NoiseSchedule schedule = new NoiseSchedule(500, 1e-4, 0.02);
        int[] order = new TrainingOrder(1).permutation(0, data.count());
        DiffusionBatch batch = DiffusionBatch.draw(data, order, 8, 24, schedule, 0.25, new SplittableRandom(9));
        assertEquals(16, batch.size());
        int perImage = data.valuesPerImage();
        for (int i = 0; i < batch.size(); i++) {
            int t = Math.round(batch.time()[i] * 500);
            assertTrue(t >= 1 && t <= 500, "t = " + t);
            double ab = schedule.alphaBar(t);
            float[] x = data.image(order[8 + i]);
            for (int j = 0; j < perImage; j++) {
                double expected = Math.sqrt(ab) * x[j] + Math.sqrt(1 - ab) * batch.noise()[i * perImage + j];
                assertEquals(expected, batch.noisy()[i * perImage + j], 1e-5);
            }
            float[] context = Arrays.copyOfRange(batch.context(), i * 3, i * 3 + 3);
            float sum = context[0] + context[1] + context[2];
            assertTrue(sum == 0 || context[data.label(order[8 + i])] == 1f, Arrays.toString(context));
        }
        // Drawn alike from a generator seeded alike.
        DiffusionBatch again = DiffusionBatch.draw(data, order, 8, 24, schedule, 0.25, new SplittableRandom(9));
        assertArrayEquals(batch.noisy(), again.noisy());
        assertArrayEquals(batch.context(), again.context());
    }

    @Test
    void contextIsDroppedForAboutTheRequestedFraction() {
        ImageDataset data = SyntheticShapes.make(3000, 4, 3);
        int[] order = new TrainingOrder(1).permutation(0, data.count());
        DiffusionBatch batch = DiffusionBatch.draw(data, order, 0, 3000, new NoiseSchedule(100, 1e-4, 0.02), 0.1,
                new SplittableRandom(2));
        int dropped = 0;
        for (int i = 0; i < 3000; i++) {
            if (batch.context()[i * 3] + batch.context()[i * 3 + 1] + batch.context()[i * 3 + 2] == 0) {
                dropped++;
            }
        }
        // Binomial(3000, 0.1): mean 300, sd 16.4.
        assertTrue(dropped > 240 && dropped < 360, "dropped " + dropped);
    }

    @Test
    void theLossPlotIsDrawnWithLogTicksAndEpochs() {
        float[] losses = new float[200];
        for (int i = 0; i < losses.length; i++) {
            losses[i] = (float) (0.05 + 0.9 * Math.exp(-i / 20.0));
        }
        BufferedImage plot = LossPlot.render(losses, new double[] {0.4, 0.1, 0.06, 0.055}, 50, 8, "test");
        assertEquals(ChartFrame.WIDTH, plot.getWidth());
        assertEquals(ChartFrame.HEIGHT, plot.getHeight());
        LossPlot.Axes axes = LossPlot.Axes.of(losses, new double[0], 50, 8);
        assertTrue(axes.yTicks().contains(0.1) && axes.yTicks().contains(0.5), axes.yTicks().toString());
        assertEquals(java.util.List.of(0, 1, 2, 3, 4, 5, 6, 7, 8), axes.xTicks());
        assertEquals("0.05", LossPlot.formatLoss(0.05));
        assertEquals("0.2", LossPlot.formatLoss(0.2));
        assertEquals("1", LossPlot.formatLoss(1));
        assertEquals("1.5", LossPlot.formatLoss(1.5));
        assertEquals("0.015", LossPlot.formatLoss(1.5 * Math.pow(10, -2)));
        assertArrayEquals(new float[] {1, 1.5f, 2.5f, 3.5f}, LossPlot.movingAverage(new float[] {1, 2, 3, 4}, 2));
    }

    @Test
    void settingsNameTheOptionThatIsOutOfRange() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TrainingSettings.defaults(10, 1).withBatchSize(1));
        assertTrue(e.getMessage().startsWith("--batch-size"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new TrainingSettings(1, 8, 1e-3, 1.5, 1, 0, 25, 1, 8));
        assertTrue(e.getMessage().startsWith("--context-dropout"), e.getMessage());
    }
}
