package org.diffusionworker.testing;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/** Stacked line charts sharing one time axis, for the soak's samples: one panel per series. */
public final class TimeSeriesPlot {

    /** One panel: a name with its unit, and one value per sample. */
    public record Series(String title, String unit, double[] values) {}

    private static final int WIDTH = 960;
    private static final int PANEL = 170;
    private static final int LEFT = 90;
    private static final int RIGHT = 24;
    private static final int TOP = 40;
    private static final int GAP = 34;

    private TimeSeriesPlot() {
    }

    /** Draws the panels over {@code seconds} (the x value of each sample) and writes a PNG. */
    public static void write(Path png, String title, double[] seconds, double warmUpSeconds, List<Series> series)
            throws IOException {
        int height = TOP + series.size() * (PANEL + GAP) + 20;
        BufferedImage image = new BufferedImage(WIDTH, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, WIDTH, height);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        g.drawString(title, LEFT, 24);
        double tMax = seconds.length == 0 ? 1 : Math.max(1, seconds[seconds.length - 1]);
        for (int p = 0; p < series.size(); p++) {
            int top = TOP + p * (PANEL + GAP) + 18;
            drawPanel(g, series.get(p), seconds, tMax, warmUpSeconds, top);
        }
        g.dispose();
        ImageIO.write(image, "png", png.toFile());
    }

    private static void drawPanel(Graphics2D g, Series s, double[] t, double tMax, double warmUp, int top) {
        int w = WIDTH - LEFT - RIGHT;
        double max = 0;
        for (double v : s.values()) {
            max = Math.max(max, v);
        }
        max = max <= 0 ? 1 : max * 1.1;
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        g.setColor(new Color(235, 235, 235));
        g.fillRect(LEFT, top, (int) (w * Math.min(1, warmUp / tMax)), PANEL);
        g.setColor(Color.GRAY);
        g.drawRect(LEFT, top, w, PANEL);
        for (int i = 0; i <= 4; i++) {
            int y = top + PANEL - PANEL * i / 4;
            g.drawString(String.format(Locale.ROOT, "%.4g", max * i / 4), 8, y + 4);
        }
        for (int i = 0; i <= 10; i++) {
            int x = LEFT + w * i / 10;
            g.drawString(String.format(Locale.ROOT, "%.0f s", tMax * i / 10), x - 12, top + PANEL + 14);
        }
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
        g.drawString(s.title() + " (" + s.unit() + ")", LEFT + 6, top - 4);
        g.setColor(new Color(20, 70, 160));
        g.setStroke(new BasicStroke(1.6f));
        double[] v = s.values();
        for (int i = 1; i < v.length; i++) {
            int x0 = LEFT + (int) (w * t[i - 1] / tMax);
            int x1 = LEFT + (int) (w * t[i] / tMax);
            int y0 = top + PANEL - (int) (PANEL * v[i - 1] / max);
            int y1 = top + PANEL - (int) (PANEL * v[i] / max);
            g.drawLine(x0, y0, x1, y1);
        }
    }
}
