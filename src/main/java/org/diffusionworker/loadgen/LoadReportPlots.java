package org.diffusionworker.loadgen;

import static org.diffusionworker.imaging.ChartFrame.BOTTOM;
import static org.diffusionworker.imaging.ChartFrame.HEIGHT;
import static org.diffusionworker.imaging.ChartFrame.LEFT;
import static org.diffusionworker.imaging.ChartFrame.RIGHT;
import static org.diffusionworker.imaging.ChartFrame.TOP;
import static org.diffusionworker.imaging.ChartFrame.WIDTH;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import org.diffusionworker.imaging.ChartFrame;

/**
 * The plots of a load run, drawn with Java2D in the style of the training's loss plot: latency against send time (a
 * scatter, failed requests in red), the consumer group's lag against time, and a histogram of the latencies.
 */
final class LoadReportPlots {

    // Size, margins and grid colour: ChartFrame's, shared by every chart.
    private static final Color COMPLETED = ChartFrame.SERIES;
    private static final Color FAILED = ChartFrame.FAILURE;
    private static final Color MARKER = ChartFrame.ACCENT;

    private LoadReportPlots() {}

    static void write(Path directory, LoadResults results, String latency, String lag, String histogram)
            throws IOException {
        ImageIO.write(latencyOverTime(results), "png", directory.resolve(latency).toFile());
        ImageIO.write(lagOverTime(results), "png", directory.resolve(lag).toFile());
        ImageIO.write(latencyHistogram(results), "png", directory.resolve(histogram).toFile());
    }

    /** Each answered request at (send time, latency); failed ones red. */
    static BufferedImage latencyOverTime(LoadResults results) {
        List<double[]> ok = new ArrayList<>();
        List<double[]> bad = new ArrayList<>();
        int missing = 0;
        for (LoadResults.Entry e : results.entries()) {
            if (!e.sent()) {
                continue;
            }
            if (e.answer() == null) {
                missing++;
                continue;
            }
            (e.answer().completed() ? ok : bad).add(new double[] {e.sentMs() / 1000, e.latencyMs()});
        }
        List<double[]> all = new ArrayList<>(ok);
        all.addAll(bad);
        Axes axes = new Axes(0, max(all, 0), 0, max(all, 1));
        BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = ChartFrame.canvas(image);
        try {
            drawGrid(g, axes);
            for (double[] p : ok) {
                dot(g, axes, p, COMPLETED);
            }
            for (double[] p : bad) {
                dot(g, axes, p, FAILED);
            }
            ChartFrame.frame(g, "Latency, produce to event, by send time (run " + results.run() + ")", "sent at (s since start)",
                    "latency (ms)");
            ChartFrame.legendRow(g, new String[] {"completed (" + ok.size() + ")", "failed (" + bad.size() + ")",
                    "no event (" + missing + ", not shown)"}, new Color[] {COMPLETED, FAILED, Color.LIGHT_GRAY});
        } finally {
            g.dispose();
        }
        return image;
    }

    /** The consumer group's lag against time; samples Kafka did not answer are left out. */
    static BufferedImage lagOverTime(LoadResults results) {
        List<double[]> points = new ArrayList<>();
        for (LoadResults.LagSample s : results.lag()) {
            if (s.lag() >= 0) {
                points.add(new double[] {s.atMs() / 1000, s.lag()});
            }
        }
        Axes axes = new Axes(0, max(points, 0), 0, Math.max(1, max(points, 1)));
        BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = ChartFrame.canvas(image);
        try {
            drawGrid(g, axes);
            Path2D.Double path = new Path2D.Double();
            for (int i = 0; i < points.size(); i++) {
                double x = axes.x(points.get(i)[0]);
                double y = axes.y(points.get(i)[1]);
                if (i == 0) {
                    path.moveTo(x, y);
                } else {
                    path.lineTo(x, y);
                }
            }
            g.setColor(COMPLETED);
            g.setStroke(new BasicStroke(2f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
            g.draw(path);
            for (double[] p : points) {
                dot(g, axes, p, COMPLETED);
            }
            ChartFrame.frame(g, "Consumer-group lag on the requests topic (run " + results.run() + ")", "time (s since start)",
                    "lag (records)");
        } finally {
            g.dispose();
        }
        return image;
    }

    /** How many answered requests took how long, in about 30 bins, with p50 and p99 marked. */
    static BufferedImage latencyHistogram(LoadResults results) {
        double[] latencies = results.entries().stream().mapToDouble(LoadResults.Entry::latencyMs)
                .filter(Double::isFinite).sorted().toArray();
        double top = latencies.length == 0 ? 1 : Math.max(1, latencies[latencies.length - 1]);
        double[] ticks = ticks(0, top, 10);
        double width = Math.max(1e-3, (ticks[1] - ticks[0]) / 3);
        int bins = (int) Math.ceil(top / width) + 1;
        int[] counts = new int[bins];
        for (double v : latencies) {
            counts[Math.min(bins - 1, (int) (v / width))]++;
        }
        int most = Arrays.stream(counts).max().orElse(0);
        Axes axes = new Axes(0, bins * width, 0, Math.max(1, most));
        BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = ChartFrame.canvas(image);
        try {
            drawGrid(g, axes);
            g.setColor(COMPLETED);
            for (int b = 0; b < bins; b++) {
                if (counts[b] == 0) {
                    continue;
                }
                int x0 = (int) Math.round(axes.x(b * width));
                int x1 = (int) Math.round(axes.x((b + 1) * width));
                int y = (int) Math.round(axes.y(counts[b]));
                g.fillRect(x0 + 1, y, Math.max(1, x1 - x0 - 1), HEIGHT - BOTTOM - y);
            }
            List<String> names = new ArrayList<>();
            if (latencies.length > 0) {
                g.setColor(MARKER);
                g.setStroke(new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f,
                        new float[] {6f, 4f}, 0f));
                for (double p : new double[] {50, 99}) {
                    double v = LoadReport.Stats.percentile(latencies, p);
                    int x = (int) Math.round(axes.x(v));
                    g.drawLine(x, TOP, x, HEIGHT - BOTTOM);
                    names.add(String.format(Locale.ROOT, "p%.0f %s ms", p, LoadReport.ms(v)));
                }
            }
            ChartFrame.frame(g, "Latency, produce to event: " + latencies.length + " answered requests (run " + results.run()
                    + ")", "latency (ms)", "requests");
            ChartFrame.legendRow(g, names.toArray(String[]::new), names.stream().map(n -> MARKER).toArray(Color[]::new));
        } finally {
            g.dispose();
        }
        return image;
    }

    private static double max(List<double[]> points, int coordinate) {
        double max = 0;
        for (double[] p : points) {
            max = Math.max(max, p[coordinate]);
        }
        return max > 0 ? max : 1;
    }

    private static void dot(Graphics2D g, Axes axes, double[] p, Color color) {
        int x = (int) Math.round(axes.x(p[0]));
        int y = (int) Math.round(axes.y(p[1]));
        g.setColor(color);
        g.fillOval(x - 3, y - 3, 7, 7);
    }

    private static void drawGrid(Graphics2D g, Axes axes) {
        ChartFrame.grid(g, ticks(axes.xMin, axes.xMax, 10), axes::x, ticks(axes.yMin, axes.yMax, 8), axes::y,
                LoadReportPlots::tick);
    }

    /** Round values (1, 2 or 5 times a power of ten apart) from {@code min} to {@code max}, about {@code target}. */
    static double[] ticks(double min, double max, int target) {
        double range = max > min ? max - min : 1;
        double raw = range / target;
        double power = Math.pow(10, Math.floor(Math.log10(raw)));
        double step = power * (raw / power <= 1 ? 1 : raw / power <= 2 ? 2 : raw / power <= 5 ? 5 : 10);
        List<Double> ticks = new ArrayList<>();
        for (double v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) {
            ticks.add(Math.abs(v) < step * 1e-9 ? 0 : v);
        }
        if (ticks.size() < 2) {
            ticks.add(ticks.isEmpty() ? min : ticks.get(0) + step);
        }
        return ticks.stream().mapToDouble(Double::doubleValue).toArray();
    }

    private static String tick(double v) {
        return v == Math.rint(v) ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.3g", v);
    }

    /** Data to pixels, linear on both axes, with a little room above the largest value. */
    private record Axes(double xMin, double xMax, double yMin, double yMax) {

        Axes {
            xMax = xMax > xMin ? xMax * 1.02 : xMin + 1;
            yMax = yMax > yMin ? yMax * 1.08 : yMin + 1;
        }

        double x(double v) {
            return LEFT + (v - xMin) / (xMax - xMin) * (WIDTH - LEFT - RIGHT);
        }

        double y(double v) {
            return HEIGHT - BOTTOM - (v - yMin) / (yMax - yMin) * (HEIGHT - TOP - BOTTOM);
        }
    }
}
