package org.diffusionworker.imaging;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.util.function.DoubleFunction;
import java.util.function.DoubleUnaryOperator;

/**
 * The frame and palette every chart of the project shares (training loss, load reports): one size, the plot area's
 * margins, and the colours, so that the pictures read alike.
 */
public final class ChartFrame {

    public static final int WIDTH = 960;
    public static final int HEIGHT = 540;
    /** Margins around the plot area: room for the y ticks, the title, and the x ticks with their label. */
    public static final int LEFT = 90;
    public static final int RIGHT = 30;
    public static final int TOP = 56;
    public static final int BOTTOM = 70;
    /** The main series. */
    public static final Color SERIES = new Color(20, 70, 160);
    /** A lighter companion of the main series (raw values under a smoothed line). */
    public static final Color SERIES_LIGHT = new Color(150, 180, 220);
    /** A second series beside the main one. */
    public static final Color SECOND_SERIES = new Color(30, 140, 80);
    /** Markers and summaries drawn over a series. */
    public static final Color ACCENT = new Color(220, 110, 20);
    /** What went wrong (failed requests). */
    public static final Color FAILURE = new Color(200, 40, 30);
    public static final Color GRID = new Color(225, 225, 225);

    private ChartFrame() {}

    /** A graphics context on {@code image} with antialiased shapes and text, the whole image painted white first. */
    public static Graphics2D canvas(BufferedImage image) {
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, image.getWidth(), image.getHeight());
        return g;
    }

    /**
     * Grid lines with their ticks and labels: one horizontal line at each of {@code yTicks} and one vertical line at
     * each of {@code xTicks}, placed by {@code yPixel} and {@code xPixel} (data to pixels) and labelled by
     * {@code label}.
     */
    public static void grid(Graphics2D g, double[] xTicks, DoubleUnaryOperator xPixel, double[] yTicks,
            DoubleUnaryOperator yPixel, DoubleFunction<String> label) {
        grid(g, xTicks, xPixel, label, yTicks, yPixel, label);
    }

    /** The same grid, each axis with its own labels. */
    public static void grid(Graphics2D g, double[] xTicks, DoubleUnaryOperator xPixel, DoubleFunction<String> xLabel,
            double[] yTicks, DoubleUnaryOperator yPixel, DoubleFunction<String> yLabel) {
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        FontMetrics metrics = g.getFontMetrics();
        g.setStroke(new BasicStroke(1f));
        for (double value : yTicks) {
            int y = (int) Math.round(yPixel.applyAsDouble(value));
            g.setColor(GRID);
            g.drawLine(LEFT, y, WIDTH - RIGHT, y);
            g.setColor(Color.DARK_GRAY);
            g.drawLine(LEFT - 5, y, LEFT, y);
            String text = yLabel.apply(value);
            g.drawString(text, LEFT - 8 - metrics.stringWidth(text), y + metrics.getAscent() / 2 - 1);
        }
        for (double value : xTicks) {
            int x = (int) Math.round(xPixel.applyAsDouble(value));
            g.setColor(GRID);
            g.drawLine(x, TOP, x, HEIGHT - BOTTOM);
            g.setColor(Color.DARK_GRAY);
            g.drawLine(x, HEIGHT - BOTTOM, x, HEIGHT - BOTTOM + 5);
            String text = xLabel.apply(value);
            g.drawString(text, x - metrics.stringWidth(text) / 2, HEIGHT - BOTTOM + 8 + metrics.getAscent());
        }
    }

    /** The plot area's border, the title centred above it, and the axis labels (the y label turned upright). */
    public static void frame(Graphics2D g, String title, String xLabel, String yLabel) {
        g.setColor(Color.BLACK);
        g.setStroke(new BasicStroke(1.2f));
        g.drawRect(LEFT, TOP, WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        FontMetrics big = g.getFontMetrics();
        g.drawString(title, (WIDTH - big.stringWidth(title)) / 2, 24);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
        FontMetrics metrics = g.getFontMetrics();
        g.drawString(xLabel, LEFT + (WIDTH - LEFT - RIGHT - metrics.stringWidth(xLabel)) / 2, HEIGHT - 22);
        Graphics2D rotated = (Graphics2D) g.create();
        rotated.rotate(-Math.PI / 2);
        rotated.drawString(yLabel, -(TOP + (HEIGHT - TOP - BOTTOM + metrics.stringWidth(yLabel)) / 2), 22);
        rotated.dispose();
    }

    /** A legend in one row between the title and the plot area, right-aligned, so that it never covers data. */
    public static void legendRow(Graphics2D g, String[] names, Color[] colors) {
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        FontMetrics small = g.getFontMetrics();
        int x = WIDTH - RIGHT;
        int y = TOP - 12;
        for (int i = names.length - 1; i >= 0; i--) {
            x -= small.stringWidth(names[i]);
            g.setColor(Color.BLACK);
            g.drawString(names[i], x, y + small.getAscent() / 2 - 1);
            x -= 14;
            g.setColor(colors[i]);
            g.fillOval(x, y - 4, 9, 9);
            x -= 18;
        }
    }
}
