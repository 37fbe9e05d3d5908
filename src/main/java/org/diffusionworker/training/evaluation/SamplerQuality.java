package org.diffusionworker.training.evaluation;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The rows of {@code evaluate} reports as points of quality against cost: per sampler, steps and guidance weight,
 * the conditional accuracy and the Fréchet distance, and each one's distance from a baseline row.
 */
public final class SamplerQuality {

    /**
     * One evaluated setting; {@code sampler} as the report titles it ({@code DDIM}, {@code DPM++2M}, {@code UniPC}),
     * {@code spacing} empty for the sampler's own.
     */
    public record Point(String sampler, String spacing, int steps, double guidance, int perLabel, double accuracy,
            double fd) {

        /** Network passes over each image: one per step, two when guided (the doubled batch). */
        public int passesPerImage() {
            return guidance > 0 ? 2 * steps : steps;
        }

        public String title() {
            return sampler + "-" + steps + (spacing.isEmpty() ? "" : " " + spacing) + ", w=" + trim(guidance);
        }

        /** The line it belongs to in a picture: sampler, spacing and weight. */
        public String series() {
            return sampler + (spacing.isEmpty() ? "" : " " + spacing) + ", w=" + trim(guidance);
        }
    }

    private static final Pattern ROW = Pattern.compile(
            "^\\| (DDIM|DDPM|DPM\\+\\+2M|UniPC)-(\\d+)(?: ([a-z-]+))?, w=([0-9.]+) \\| (\\d+) \\| ([0-9.]+)% \\| ([0-9.]+) \\|");

    private SamplerQuality() {}

    /** The setting rows of each report's first table, later reports replacing earlier rows of the same title and N. */
    public static List<Point> read(List<Path> reports) {
        Map<String, Point> byKey = new LinkedHashMap<>();
        for (Path report : reports) {
            try {
                for (String line : Files.readAllLines(report)) {
                    if (line.startsWith("## ")) {
                        break;
                    }
                    Matcher m = ROW.matcher(line);
                    if (m.find()) {
                        Point p = new Point(m.group(1), m.group(3) == null ? "" : m.group(3),
                                Integer.parseInt(m.group(2)), Double.parseDouble(m.group(4)),
                                Integer.parseInt(m.group(5)), Double.parseDouble(m.group(6)) / 100,
                                Double.parseDouble(m.group(7)));
                        byKey.put(p.title() + "/" + p.perLabel(), p);
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return new ArrayList<>(byKey.values());
    }

    /** The setting the others are compared with, as the reports title it: {@code <sampler>-<steps>}, e.g. DDIM-25. */
    public record Baseline(String sampler, int steps) {

        /** {@code title} split at its last dash (a command's {@code --baseline}), checked. */
        public static Baseline parse(String title) {
            int dash = title.lastIndexOf('-');
            if (dash < 1) {
                throw new IllegalArgumentException("--baseline must be <sampler>-<steps>, e.g. DDIM-25, got " + title);
            }
            return new Baseline(title.substring(0, dash), Integer.parseInt(title.substring(dash + 1)));
        }
    }

    /**
     * A Markdown table of {@code points}, each beside the baseline of its weight and N ({@code baselineSampler} at
     * {@code baselineSteps}): accuracy in points and FD in percent from it, and whether both hold within
     * {@code pointsOff} and {@code percent}.
     */
    public static String table(List<Point> points, String baselineSampler, int baselineSteps, double pointsOff,
            double percent) {
        StringBuilder md = new StringBuilder("| setting | N per label | network passes per image | accuracy | FD | "
                + "accuracy vs " + baselineSampler + "-" + baselineSteps + " | FD vs " + baselineSampler + "-"
                + baselineSteps + " | within " + trim(pointsOff) + " point / " + trim(percent) + "%? |\n"
                + "|---|---:|---:|---:|---:|---:|---:|---|\n");
        List<Point> sorted = new ArrayList<>(points);
        sorted.sort(Comparator.comparingDouble(Point::guidance).thenComparing(Point::sampler)
                .thenComparing(Point::spacing).thenComparingInt(Point::steps).thenComparingInt(Point::perLabel));
        for (Point p : sorted) {
            Optional<Point> base = points.stream().filter(b -> b.sampler().equals(baselineSampler)
                    && b.steps() == baselineSteps && b.guidance() == p.guidance() && b.perLabel() == p.perLabel())
                    .findFirst();
            String vsAccuracy = "";
            String vsFd = "";
            String within = "";
            if (base.isPresent() && base.get() != p) {
                double dAcc = 100 * (p.accuracy() - base.get().accuracy());
                double dFd = 100 * (p.fd() / base.get().fd() - 1);
                vsAccuracy = String.format(Locale.ROOT, "%+.1f", dAcc);
                vsFd = String.format(Locale.ROOT, "%+.1f%%", dFd);
                within = dAcc >= -pointsOff && dFd <= percent ? "yes" : "no";
            }
            md.append(String.format(Locale.ROOT, "| %s | %d | %d | %.1f%% | %.2f | %s | %s | %s |%n", p.title(),
                    p.perLabel(), p.passesPerImage(), 100 * p.accuracy(), p.fd(), vsAccuracy, vsFd, within));
        }
        return md.toString();
    }

    static String trim(double value) {
        return value == Math.rint(value) ? Long.toString((long) value) : String.format(Locale.ROOT, "%s", value);
    }
}
