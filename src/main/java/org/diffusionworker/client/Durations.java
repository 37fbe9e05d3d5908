package org.diffusionworker.client;

import java.time.Duration;
import java.util.Locale;

/** Durations as the command line writes them: {@code 500ms}, {@code 90s}, {@code 10m}, {@code 1h}. */
public final class Durations {

    private Durations() {}

    public static Duration parse(String text) {
        try {
            String t = text.trim().toLowerCase(Locale.ROOT);
            if (t.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
            }
            long n = Long.parseLong(t.substring(0, t.length() - 1));
            return switch (t.charAt(t.length() - 1)) {
                case 's' -> Duration.ofSeconds(n);
                case 'm' -> Duration.ofMinutes(n);
                case 'h' -> Duration.ofHours(n);
                default -> throw new NumberFormatException();
            };
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("durations are like 90s, 10m or 1h, got '" + text + "'");
        }
    }
}
