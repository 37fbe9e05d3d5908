package org.diffusionworker.loadgen;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/**
 * One load test from start to end: sends a plan's requests to a running worker, collects the events, writes the
 * report into a folder and prints its summary. Progress goes to {@code err}, the summary to {@code out}.
 */
public final class LoadTest {

    private static final DateTimeFormatter FOLDER_TIME = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss", Locale.ROOT);

    private LoadTest() {}

    /** Where a run's report goes when none is named: {@code loadgen-<local time to the second>}. */
    public static Path defaultDirectory(LocalDateTime now) {
        return Path.of("loadgen-" + now.format(FOLDER_TIME));
    }

    /** {@code words} as one line that a POSIX shell reads back as the same words: for the report to quote. */
    public static String shellLine(List<String> words) {
        return String.join(" ", words.stream()
                .map(a -> a.matches("[A-Za-z0-9_./:=,@%+-]+") ? a : "'" + a.replace("'", "'\\''") + "'")
                .toList());
    }

    /**
     * @param commandLine the command line as given, quoted in the report
     * @return whether every planned request was sent and answered (COMPLETED or FAILED)
     */
    public static boolean run(LoadPlan plan, LoadRun.Settings settings, String commandLine, Path directory,
            PrintWriter out, PrintWriter err) throws IOException, InterruptedException {
        String run = UUID.randomUUID().toString().substring(0, 8);
        err.printf(Locale.ROOT, "loadgen: run %s: %s to '%s' on %s (seed %d); events from '%s', lag of group '%s'%n",
                run, plan.pacing().describe(), settings.requestsTopic(), settings.bootstrapServers(), plan.seed(),
                settings.eventsTopic(), settings.group());
        err.flush();
        LoadResults results = new LoadRun(settings, err).run(run, plan.requests(run), plan.pacing());
        LoadReport report = new LoadReport(results, plan, settings, commandLine);
        report.write(directory);
        out.print(report.summary());
        out.printf("wrote %s (%s, %s, %s, %s, %s)%n", directory.resolve(LoadReport.REPORT), LoadReport.EVENTS_CSV,
                LoadReport.LAG_CSV, LoadReport.LATENCY_PLOT, LoadReport.LAG_PLOT, LoadReport.HISTOGRAM_PLOT);
        out.flush();
        return report.missing == 0 && report.sendErrors == 0 && report.sent == report.planned;
    }
}
