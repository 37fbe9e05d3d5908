package org.diffusionworker.benchmark;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** Markdown printed line by line as it is made (so a long run shows its rows), and kept for a file. */
final class MarkdownReport {

    private final PrintWriter out;
    private final StringBuilder text = new StringBuilder();

    MarkdownReport(PrintWriter out) {
        this.out = out;
    }

    void line(String format, Object... args) {
        String line = args.length == 0 ? format : String.format(Locale.ROOT, format, args);
        out.println(line);
        out.flush();
        text.append(line).append('\n');
    }

    void writeTo(Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.writeString(file, text.toString(), StandardCharsets.UTF_8);
    }
}
