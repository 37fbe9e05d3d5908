package org.diffusionworker.training;

import static org.diffusionworker.imaging.ChartFrame.BOTTOM;
import static org.diffusionworker.imaging.ChartFrame.HEIGHT;
import static org.diffusionworker.imaging.ChartFrame.LEFT;
import static org.diffusionworker.imaging.ChartFrame.RIGHT;
import static org.diffusionworker.imaging.ChartFrame.TOP;
import static org.diffusionworker.imaging.ChartFrame.WIDTH;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.diffusionworker.imaging.ChartFrame;

/**
 * Draws the training loss with Java2D: every batch's loss (faint), a moving average over a window
 * of batches (bold) and each epoch's mean (dots), against epochs on x and a logarithmic loss axis
 * on y (the noise MSE falls by an order of magnitude in the first epoch, then slowly).
 */
public final class LossPlot {

    // Size, margins and grid colour: ChartFrame's, shared by every chart.
    private static final Color RAW = ChartFrame.SERIES_LIGHT;
    private static final Color SMOOTH = ChartFrame.SERIES;
    private static final Color EPOCH = ChartFrame.ACCENT;

    private LossPlot() {}

    /**
     * @param batchLosses the loss of every batch so far, in order
     * @param epochMeans the mean loss of every completed epoch
     * @param batchesPerEpoch batches in one epoch (x is batches / batchesPerEpoch)
     * @param totalEpochs the run's length, so that the x axis does not jump between checkpoints
     */
    public static BufferedImage render(float[] batchLosses, double[] epochMeans, int batchesPerEpoch,
            int totalEpochs, String title) {
        BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = ChartFrame.canvas(image);
        try {
            Axes axes = Axes.of(batchLosses, epochMeans, batchesPerEpoch, totalEpochs);
            drawGridAndTicks(g, axes);
            int window = Math.max(1, Math.min(batchesPerEpoch, batchLosses.length / 50));
            drawSeries(g, axes, batchLosses, batchesPerEpoch, RAW, 1f);
            if (window > 1) {
                drawSeries(g, axes, movingAverage(batchLosses, window), batchesPerEpoch, SMOOTH, 2.5f);
            }
            drawEpochMeans(g, axes, epochMeans);
            drawFrameAndLabels(g, title, window);
        } finally {
            g.dispose();
        }
        return image;
    }

    /** The mean of each value and the {@code window - 1} before it (fewer at the start). */
    static float[] movingAverage(float[] values, int window) {
        float[] smooth = new float[values.length];
        double sum = 0;
        for (int i = 0; i < values.length; i++) {
            sum += values[i];
            if (i >= window) {
                sum -= values[i - window];
            }
            smooth[i] = (float) (sum / Math.min(i + 1, window));
        }
        return smooth;
    }

    private static void drawSeries(Graphics2D g, Axes axes, float[] values, int batchesPerEpoch, Color color,
            float width) {
        Path2D.Double path = new Path2D.Double();
        boolean started = false;
        for (int i = 0; i < values.length; i++) {
            if (!(values[i] > 0) || !Float.isFinite(values[i])) {
                started = false;
                continue;
            }
            double x = axes.x((i + 1.0) / batchesPerEpoch);
            double y = axes.y(values[i]);
            if (started) {
                path.lineTo(x, y);
            } else {
                path.moveTo(x, y);
                started = true;
            }
        }
        g.setColor(color);
        g.setStroke(new BasicStroke(width, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
        g.draw(path);
    }

    private static void drawEpochMeans(Graphics2D g, Axes axes, double[] epochMeans) {
        g.setColor(EPOCH);
        for (int e = 0; e < epochMeans.length; e++) {
            if (epochMeans[e] > 0 && Double.isFinite(epochMeans[e])) {
                int x = (int) Math.round(axes.x(e + 1));
                int y = (int) Math.round(axes.y(epochMeans[e]));
                g.fillOval(x - 4, y - 4, 9, 9);
            }
        }
    }

    private static void drawGridAndTicks(Graphics2D g, Axes axes) {
        ChartFrame.grid(g, axes.xTicks().stream().mapToDouble(Integer::doubleValue).toArray(), axes::x,
                epoch -> Integer.toString((int) epoch),
                axes.yTicks().stream().mapToDouble(Double::doubleValue).toArray(), axes::y, LossPlot::formatLoss);
    }

    private static void drawFrameAndLabels(Graphics2D g, String title, int window) {
        ChartFrame.frame(g, title, "epoch", "loss: MSE of predicted noise (log scale)");
        // Legend, top right inside the frame.
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        FontMetrics small = g.getFontMetrics();
        String[] names = window > 1 ? new String[] {"loss per batch", "mean of " + window + " batches", "epoch mean"}
                : new String[] {"loss per batch", "epoch mean"};
        Color[] colors = window > 1 ? new Color[] {RAW, SMOOTH, EPOCH} : new Color[] {RAW, EPOCH};
        int widest = 0;
        for (String name : names) {
            widest = Math.max(widest, small.stringWidth(name));
        }
        int x = WIDTH - RIGHT - widest - 48;
        int y = TOP + 10;
        g.setColor(new Color(255, 255, 255, 230));
        g.fillRect(x - 8, y - 4, widest + 52, names.length * 18 + 8);
        for (int i = 0; i < names.length; i++) {
            int rowY = y + i * 18 + 9;
            g.setColor(colors[i]);
            if (colors[i] == EPOCH) {
                g.fillOval(x + 10, rowY - 4, 9, 9);
            } else {
                g.setStroke(new BasicStroke(colors[i] == RAW ? 1.5f : 2.5f));
                g.drawLine(x, rowY, x + 28, rowY);
            }
            g.setColor(Color.BLACK);
            g.drawString(names[i], x + 36, rowY + small.getAscent() / 2 - 1);
        }
    }

    /** A tick label: three significant digits at most, no trailing zeros ("0.05", "1.5", "2"). */
    static String formatLoss(double value) {
        return new BigDecimal(value).round(new MathContext(3)).stripTrailingZeros().toPlainString();
    }

    /** The mapping from data to pixels: x in epochs (linear), y in loss (log10). */
    record Axes(double xMax, double logMin, double logMax) {

        static Axes of(float[] losses, double[] epochMeans, int batchesPerEpoch, int totalEpochs) {
            double min = Double.POSITIVE_INFINITY;
            double max = 0;
            for (float v : losses) {
                if (v > 0 && Float.isFinite(v)) {
                    min = Math.min(min, v);
                    max = Math.max(max, v);
                }
            }
            for (double v : epochMeans) {
                if (v > 0 && Double.isFinite(v)) {
                    min = Math.min(min, v);
                    max = Math.max(max, v);
                }
            }
            if (!(max > 0)) {
                min = 0.01;
                max = 1;
            }
            // At least a factor of 4 of range, then a little padding either side.
            double logMin = Math.log10(min);
            double logMax = Math.log10(max);
            if (logMax - logMin < 0.6) {
                double middle = (logMax + logMin) / 2;
                logMin = middle - 0.3;
                logMax = middle + 0.3;
            }
            double pad = (logMax - logMin) * 0.04;
            double done = (double) losses.length / batchesPerEpoch;
            return new Axes(Math.max(1, Math.max(totalEpochs, done)), logMin - pad, logMax + pad);
        }

        double x(double epochs) {
            return LEFT + epochs / xMax * (WIDTH - LEFT - RIGHT);
        }

        double y(double loss) {
            double fraction = (Math.log10(loss) - logMin) / (logMax - logMin);
            return HEIGHT - BOTTOM - fraction * (HEIGHT - TOP - BOTTOM);
        }

        /** 1, 2 and 5 times powers of ten inside the range; more when the range is narrow. */
        List<Double> yTicks() {
            List<Double> ticks = new ArrayList<>();
            double[] multipliers = logMax - logMin > 2.5 ? new double[] {1} : logMax - logMin > 1.2
                    ? new double[] {1, 2, 5} : new double[] {1, 1.5, 2, 3, 4, 5, 6, 7, 8, 9};
            for (int decade = (int) Math.floor(logMin) - 1; decade <= (int) Math.ceil(logMax); decade++) {
                for (double m : multipliers) {
                    double value = m * Math.pow(10, decade);
                    double log = Math.log10(value);
                    if (log >= logMin && log <= logMax) {
                        ticks.add(value);
                    }
                }
            }
            return ticks;
        }

        /** Whole epochs, about ten of them. */
        List<Integer> xTicks() {
            int max = (int) Math.floor(xMax);
            int step = Math.max(1, (int) Math.ceil(max / 10.0));
            for (int nice : new int[] {1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000}) {
                if (nice >= step) {
                    step = nice;
                    break;
                }
            }
            List<Integer> ticks = new ArrayList<>();
            for (int e = 0; e <= max; e += step) {
                ticks.add(e);
            }
            return ticks;
        }
    }
}
