package org.diffusionworker.training.evaluation;

import static org.diffusionworker.imaging.ChartFrame.BOTTOM;
import static org.diffusionworker.imaging.ChartFrame.GRID;
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
import java.awt.RenderingHints;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.ToDoubleFunction;
import org.diffusionworker.imaging.ChartFrame;

/**
 * Quality against cost in one picture: conditional accuracy (left) and FD (right) against network passes per image
 * (log scale), one line per sampler and guidance weight (solid w = 1, dashed w = 0), in ChartFrame's frame.
 */
public final class SamplerQualityPlot {

    private static final int GAP = 70;
    private static final Map<String, Color> COLORS = Map.of("DDIM", ChartFrame.ACCENT, "DPM++2M", ChartFrame.SERIES,
            "UniPC", ChartFrame.SECOND_SERIES, "DDPM", Color.DARK_GRAY);

    private SamplerQualityPlot() {}

    /** The picture of {@code points} (those of one N per label). */
    public static BufferedImage draw(List<SamplerQuality.Point> points, String title) {
        BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, WIDTH, HEIGHT);
            int panel = (WIDTH - LEFT - RIGHT - GAP) / 2;
            double xMin = points.stream().mapToInt(SamplerQuality.Point::passesPerImage).min().orElse(1);
            double xMax = points.stream().mapToInt(SamplerQuality.Point::passesPerImage).max().orElse(10);
            Panel accuracy = new Panel(LEFT, panel, Math.log10(xMin * 0.8), Math.log10(xMax * 1.25),
                    range(points, p -> 100 * p.accuracy()), "conditional accuracy (%)");
            Panel fd = new Panel(LEFT + panel + GAP, panel, accuracy.logMin, accuracy.logMax,
                    range(points, SamplerQuality.Point::fd), "FD (lower is better)");
            accuracy.drawAxes(g);
            fd.drawAxes(g);
            Map<String, List<SamplerQuality.Point>> series = new TreeMap<>();
            for (SamplerQuality.Point p : points) {
                series.computeIfAbsent(p.series(), k -> new java.util.ArrayList<>()).add(p);
            }
            series.forEach((name, list) -> {
                list.sort(Comparator.comparingInt(SamplerQuality.Point::passesPerImage));
                Color color = COLORS.getOrDefault(list.get(0).sampler(), Color.GRAY);
                boolean guided = list.get(0).guidance() > 0;
                accuracy.drawSeries(g, list, p -> 100 * p.accuracy(), color, guided);
                fd.drawSeries(g, list, SamplerQuality.Point::fd, color, guided);
            });
            drawTitleAndLegend(g, title, series.keySet(), points);
        } finally {
            g.dispose();
        }
        return image;
    }

    private static double[] range(List<SamplerQuality.Point> points, ToDoubleFunction<SamplerQuality.Point> value) {
        double min = points.stream().mapToDouble(value).min().orElse(0);
        double max = points.stream().mapToDouble(value).max().orElse(1);
        double pad = Math.max(1e-9, (max - min) * 0.08);
        return new double[] {min - pad, max + pad};
    }

    private static void drawTitleAndLegend(Graphics2D g, String title, Iterable<String> names,
            List<SamplerQuality.Point> points) {
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        FontMetrics big = g.getFontMetrics();
        g.drawString(title, (WIDTH - big.stringWidth(title)) / 2, 24);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        FontMetrics small = g.getFontMetrics();
        int x = LEFT;
        int y = HEIGHT - 14;
        for (String name : names) {
            String sampler = name.split("[ ,]")[0];
            g.setColor(COLORS.getOrDefault(sampler, Color.GRAY));
            g.setStroke(stroke(!name.endsWith("w=0")));
            g.drawLine(x, y - 4, x + 24, y - 4);
            g.setColor(Color.BLACK);
            g.drawString(name, x + 30, y);
            x += 30 + small.stringWidth(name) + 18;
        }
        g.setColor(Color.DARK_GRAY);
        String xLabel = "network passes per image (steps, x2 when guided; log scale)";
        g.drawString(xLabel, WIDTH - RIGHT - small.stringWidth(xLabel), HEIGHT - BOTTOM + 36);
    }

    private static BasicStroke stroke(boolean solid) {
        return solid ? new BasicStroke(2.2f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND)
                : new BasicStroke(2.2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 10f, new float[] {7f, 5f}, 0f);
    }

    /** One plot area: x log10 of passes, y linear. */
    private record Panel(int left, int width, double logMin, double logMax, double[] yRange, String yLabel) {

        double x(double passes) {
            return left + (Math.log10(passes) - logMin) / (logMax - logMin) * width;
        }

        double y(double value) {
            return HEIGHT - BOTTOM - (value - yRange[0]) / (yRange[1] - yRange[0]) * (HEIGHT - TOP - BOTTOM);
        }

        void drawAxes(Graphics2D g) {
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            FontMetrics metrics = g.getFontMetrics();
            g.setStroke(new BasicStroke(1f));
            double step = niceStep((yRange[1] - yRange[0]) / 6);
            for (double v = Math.ceil(yRange[0] / step) * step; v <= yRange[1]; v += step) {
                int py = (int) Math.round(y(v));
                g.setColor(GRID);
                g.drawLine(left, py, left + width, py);
                g.setColor(Color.DARK_GRAY);
                String label = SamplerQuality.trim(Math.round(v * 100) / 100.0);
                g.drawString(label, left - 6 - metrics.stringWidth(label), py + metrics.getAscent() / 2 - 1);
            }
            for (int passes : new int[] {5, 10, 20, 50, 100, 200, 500, 1000}) {
                if (Math.log10(passes) < logMin || Math.log10(passes) > logMax) {
                    continue;
                }
                int px = (int) Math.round(x(passes));
                g.setColor(GRID);
                g.drawLine(px, TOP, px, HEIGHT - BOTTOM);
                g.setColor(Color.DARK_GRAY);
                String label = Integer.toString(passes);
                g.drawString(label, px - metrics.stringWidth(label) / 2, HEIGHT - BOTTOM + 6 + metrics.getAscent());
            }
            g.setColor(Color.BLACK);
            g.setStroke(new BasicStroke(1.2f));
            g.drawRect(left, TOP, width, HEIGHT - TOP - BOTTOM);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
            g.drawString(yLabel, left, TOP - 8);
        }

        void drawSeries(Graphics2D g, List<SamplerQuality.Point> points, ToDoubleFunction<SamplerQuality.Point> value,
                Color color, boolean guided) {
            Path2D.Double path = new Path2D.Double();
            for (int i = 0; i < points.size(); i++) {
                double px = x(points.get(i).passesPerImage());
                double py = y(value.applyAsDouble(points.get(i)));
                if (i == 0) {
                    path.moveTo(px, py);
                } else {
                    path.lineTo(px, py);
                }
            }
            g.setColor(color);
            g.setStroke(stroke(guided));
            g.draw(path);
            for (SamplerQuality.Point p : points) {
                int px = (int) Math.round(x(p.passesPerImage()));
                int py = (int) Math.round(y(value.applyAsDouble(p)));
                g.fillOval(px - 3, py - 3, 7, 7);
            }
        }

        private static double niceStep(double raw) {
            double magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
            double r = raw / magnitude;
            return (r <= 1 ? 1 : r <= 2 ? 2 : r <= 5 ? 5 : 10) * magnitude;
        }
    }
}
