package org.diffusionworker.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.diffusionworker.imaging.PngEncoder;
import org.diffusionworker.training.evaluation.SamplerQuality;
import org.diffusionworker.training.evaluation.SamplerQualityPlot;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code quality-plot}: the rows of {@code evaluate} reports as one table and one picture of quality against cost. */
@Command(name = "quality-plot", mixinStandardHelpOptions = true,
        description = {"Read evaluate reports (evaluation.md) and print their settings as one Markdown table beside a"
                + " baseline; draw accuracy and FD against network passes per image as a PNG."})
public class QualityPlotCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "<evaluation.md>", arity = "1..*", description = "Reports; later rows replace earlier"
            + " ones of the same setting and N.")
    List<Path> reports;

    @Option(names = "--per-label", description = "Only rows with this N per label (default: all).")
    Integer perLabel;

    @Option(names = "--baseline", defaultValue = "DDIM-25", description = "The row each is compared with, as the"
            + " reports title it (default: ${DEFAULT-VALUE}).")
    String baseline;

    @Option(names = "--out", description = "The PNG to draw (default: none).")
    Path out;

    @Option(names = "--title", defaultValue = "Quality against network passes per image",
            description = "The picture's title.")
    String title;

    @Override
    public Integer call() throws Exception {
        SamplerQuality.Baseline base = SamplerQuality.Baseline.parse(baseline);
        List<SamplerQuality.Point> points = SamplerQuality.read(reports).stream()
                .filter(p -> perLabel == null || p.perLabel() == perLabel).toList();
        if (points.isEmpty()) {
            throw new IllegalArgumentException("no setting rows in " + reports);
        }
        spec.commandLine().getOut().print(SamplerQuality.table(points, base.sampler(), base.steps(), 1, 10));
        spec.commandLine().getOut().flush();
        if (out != null) {
            OutputFolders.createFor(out);
            PngEncoder.write(SamplerQualityPlot.draw(points, title), out);
        }
        return 0;
    }
}
