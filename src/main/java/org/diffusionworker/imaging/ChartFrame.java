package org.diffusionworker.imaging;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;

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
}
