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
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.ToDoubleFunction;
import org.diffusionworker.imaging.ChartFrame;

/**
 * Quality against cost in one picture: conditional accuracy (above) and FD (below) against network passes per image
 * (log scale), one column per guidance weight, one line per sampler (dashed: a spacing other than the sampler's
 * own), in ChartFrame's frame.
 */
public final class SamplerQualityPlot {

    private static final int GAP = 60;
    private static final Map<String, Color> COLORS = Map.of("DDIM", ChartFrame.ACCENT, "DPM++2M", ChartFrame.SERIES,
            "UniPC", ChartFrame.SECOND_SERIES, "DDPM", Color.DARK_GRAY);

    private SamplerQualityPlot() {}

    /** The picture of {@code points} (those of one N per label): accuracy above FD, one column per weight. */
    public static BufferedImage draw(List<SamplerQuality.Point> points, String title) {
        BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = ChartFrame.canvas(image);
        try {
            List<Double> weights = points.stream().map(SamplerQuality.Point::guidance).distinct().sorted().toList();
            int columnWidth = (WIDTH - LEFT - RIGHT - GAP * (weights.size() - 1)) / weights.size();
            int rowHeight = (HEIGHT - TOP - BOTTOM - GAP / 2) / 2;
            for (int c = 0; c < weights.size(); c++) {
                double w = weights.get(c);
                List<SamplerQuality.Point> mine = points.stream().filter(p -> p.guidance() == w).toList();
                double xMin = mine.stream().mapToInt(SamplerQuality.Point::passesPerImage).min().orElse(1);
                double xMax = mine.stream().mapToInt(SamplerQuality.Point::passesPerImage).max().orElse(10);
                int left = LEFT + c * (columnWidth + GAP);
                String weight = "w=" + SamplerQuality.trim(w);
                Panel accuracy = new Panel(left, columnWidth, TOP, rowHeight, Math.log10(xMin * 0.8),
                        Math.log10(xMax * 1.25), range(mine, p -> 100 * p.accuracy()),
                        "conditional accuracy (%), " + weight);
                Panel fd = new Panel(left, columnWidth, TOP + rowHeight + GAP / 2, rowHeight, accuracy.logMin,
                        accuracy.logMax, range(mine, SamplerQuality.Point::fd), "FD (lower is better), " + weight);
                accuracy.drawAxes(g, false);
                fd.drawAxes(g, true);
                Map<String, List<SamplerQuality.Point>> series = new TreeMap<>();
                for (SamplerQuality.Point p : mine) {
                    series.computeIfAbsent(p.series(), k -> new java.util.ArrayList<>()).add(p);
                }
                series.values().forEach(list -> {
                    list.sort(Comparator.comparingInt(SamplerQuality.Point::passesPerImage));
                    Color color = COLORS.getOrDefault(list.get(0).sampler(), Color.GRAY);
                    boolean dashed = !list.get(0).spacing().isEmpty();
                    accuracy.drawSeries(g, list, p -> 100 * p.accuracy(), color, dashed);
                    fd.drawSeries(g, list, SamplerQuality.Point::fd, color, dashed);
                });
            }
            drawTitleAndLegend(g, title, points);
        } finally {
            g.dispose();
        }
        return image;
    }

    private static double[] range(List<SamplerQuality.Point> points, ToDoubleFunction<SamplerQuality.Point> value) {
        double min = points.stream().mapToDouble(value).min().orElse(0);
        double max = points.stream().mapToDouble(value).max().orElse(1);
        double pad = Math.max(0.05, (max - min) * 0.08);
        return new double[] {min - pad, max + pad};
    }

    private static void drawTitleAndLegend(Graphics2D g, String title, List<SamplerQuality.Point> points) {
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        FontMetrics big = g.getFontMetrics();
        g.drawString(title, (WIDTH - big.stringWidth(title)) / 2, 22);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        FontMetrics small = g.getFontMetrics();
        int x = LEFT;
        int y = HEIGHT - 12;
        for (String name : points.stream().map(p -> p.sampler() + (p.spacing().isEmpty() ? "" : " " + p.spacing()))
                .distinct().sorted().toList()) {
            g.setColor(COLORS.getOrDefault(name.split(" ")[0], Color.GRAY));
            g.setStroke(stroke(name.contains(" ")));
            g.drawLine(x, y - 4, x + 24, y - 4);
            g.setColor(Color.BLACK);
            g.drawString(name, x + 30, y);
            x += 30 + small.stringWidth(name) + 18;
        }
        g.setColor(Color.DARK_GRAY);
        String xLabel = "network passes per image (steps, x2 when guided; log scale)";
        g.drawString(xLabel, WIDTH - RIGHT - small.stringWidth(xLabel), y);
    }

    private static BasicStroke stroke(boolean dashed) {
        return !dashed ? new BasicStroke(2.2f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND)
                : new BasicStroke(2.2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 10f, new float[] {7f, 5f}, 0f);
    }

    /** One plot area: x log10 of passes, y linear. */
    private record Panel(int left, int width, int top, int height, double logMin, double logMax, double[] yRange,
            String yLabel) {

        double x(double passes) {
            return left + (Math.log10(passes) - logMin) / (logMax - logMin) * width;
        }

        double y(double value) {
            return top + height - (value - yRange[0]) / (yRange[1] - yRange[0]) * height;
        }

        void drawAxes(Graphics2D g, boolean xLabels) {
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            FontMetrics metrics = g.getFontMetrics();
            g.setStroke(new BasicStroke(1f));
            double step = niceStep((yRange[1] - yRange[0]) / 4);
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
                g.drawLine(px, top, px, top + height);
                if (xLabels) {
                    g.setColor(Color.DARK_GRAY);
                    String label = Integer.toString(passes);
                    g.drawString(label, px - metrics.stringWidth(label) / 2, top + height + 4 + metrics.getAscent());
                }
            }
            g.setColor(Color.BLACK);
            g.setStroke(new BasicStroke(1.2f));
            g.drawRect(left, top, width, height);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
            g.drawString(yLabel, left, top - 6);
        }

        void drawSeries(Graphics2D g, List<SamplerQuality.Point> points, ToDoubleFunction<SamplerQuality.Point> value,
                Color color, boolean dashed) {
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
            g.setStroke(stroke(dashed));
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
