package org.diffusionworker.training.evaluation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.diffusionworker.imaging.ChartFrame;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SamplerQualityTest {

    @TempDir
    Path temp;

    @Test
    void theBaselineSplitsAtItsLastDashAndOneWithoutStepsIsRefusedByName() {
        assertEquals(new SamplerQuality.Baseline("DPM++2M", 15), SamplerQuality.Baseline.parse("DPM++2M-15"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SamplerQuality.Baseline.parse("DDIM"));
        assertTrue(e.getMessage().startsWith("--baseline must be <sampler>-<steps>"), e.getMessage());
    }

    @Test
    void reportRowsBecomePointsComparedWithTheBaselineOfTheirWeight() throws IOException {
        Path a = report("a.md", "| real images, N=100 | 100 | 93.1% | 0.96 | - |",
                "| DDIM-25, w=0 | 100 | 72.0% | 50.00 | 95 s |", "| DDIM-25, w=1 | 100 | 95.0% | 10.00 | 269 s |");
        Path b = report("b.md", "| UniPC-8 log-snr, w=1 | 100 | 94.5% | 10.90 | 60 s |",
                "| DPM++2M-5, w=0 | 100 | 70.5% | 52.00 | 20 s |", "| UniPC-8 log-snr, w=1 | 300 | 95.0% | 9.00 | 1 s |");
        List<SamplerQuality.Point> points = SamplerQuality.read(List.of(a, b));
        assertEquals(5, points.size(), points.toString());
        SamplerQuality.Point unipc = points.get(2);
        assertEquals("UniPC", unipc.sampler());
        assertEquals(16, unipc.passesPerImage(), "guided: the doubled batch");
        String table = SamplerQuality.table(points, "DDIM", 25, 1, 10);
        assertTrue(table.contains("| UniPC-8 log-snr, w=1 | 100 | 16 | 94.5% | 10.90 | -0.5 | +9.0% | yes |"), table);
        assertTrue(table.contains("| DPM++2M-5, w=0 | 100 | 5 | 70.5% | 52.00 | -1.5 | +4.0% | no |"), table);
        // No baseline at N=300: no comparison.
        assertTrue(table.contains("| UniPC-8 log-snr, w=1 | 300 | 16 | 95.0% | 9.00 |  |  |  |"), table);
        BufferedImage picture = SamplerQualityPlot.draw(points, "test");
        assertEquals(ChartFrame.WIDTH, picture.getWidth());
    }

    private Path report(String name, String... rows) throws IOException {
        String md = "# Evaluation\n\n| setting | N per label | conditional accuracy | FD | generation time |\n"
                + "|---|---:|---:|---:|---:|\n" + String.join("\n", rows) + "\n\n## Accuracy per label\n\n"
                + "| DDIM-50, w=0 | 1 | 1.0% | 1.00 | 1 s |\n";
        return Files.writeString(temp.resolve(name), md);
    }
}
