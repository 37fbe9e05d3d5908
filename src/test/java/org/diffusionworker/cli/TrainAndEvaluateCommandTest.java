package org.diffusionworker.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.diffusionworker.model.LoadedModel;
import org.diffusionworker.model.ModelLoader;
import org.diffusionworker.testing.TinyIdx;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

@Tag("native-memory")
class TrainAndEvaluateCommandTest {

    @TempDir
    static Path temp;

    private static Path[] train;
    private static Path[] test;
    private static Path model;

    @BeforeAll
    static void trainATinyModel() throws IOException {
        train = TinyIdx.write(temp.resolve("data"), "train", 96, 3, 1);
        test = TinyIdx.write(temp.resolve("data"), "test", 60, 3, 2);
        model = temp.resolve("models/tiny");
        StringWriter out = new StringWriter();
        int code = command(new TrainCommand(), out, trainArgs(model, "--epochs", "2", "--height", "16", "--format", "idx"));
        assertEquals(0, code, out.toString());
        assertTrue(out.toString().contains("trained tiny: 2 epochs"), out.toString());
    }

    /** The tiny run's options; {@code more} adds options or overrides them ("--x", "value" pairs, or a lone flag). */
    private static String[] trainArgs(Path output, String... more) {
        Map<String, String> options = new LinkedHashMap<>();
        String[] base = {"--data", train[0].toString(), "--labels", train[1].toString(), "--label-names",
            "left,top,centre", "--out", output.toString(), "--batch-size", "16", "--n-feat", "8",
            "--checkpoint-every", "1", "--seed", "3", "--timesteps", "40", "--preview-steps", "4"};
        for (int i = 0; i < base.length; i += 2) {
            options.put(base[i], base[i + 1]);
        }
        for (int i = 0; i < more.length; i++) {
            boolean flag = i + 1 == more.length || more[i + 1].startsWith("--");
            options.put(more[i], flag ? null : more[++i]);
        }
        List<String> args = new ArrayList<>(List.of("--no-progress"));
        options.forEach((option, value) -> {
            args.add(option);
            if (value != null) {
                args.add(value);
            }
        });
        return args.toArray(String[]::new);
    }

    private static int command(Object command, StringWriter out, String... args) {
        CommandLine line = new CommandLine(command);
        line.setOut(new PrintWriter(out));
        return line.execute(args);
    }

    @Test
    void theTrainedModelDirectoryLoadsWithItsCard() {
        try (LoadedModel loaded = ModelLoader.fromDirectory(model, Device.cpu())) {
            assertEquals(List.of("left", "top", "centre"), loaded.spec().labels());
            assertEquals(40, loaded.spec().schedule().timesteps());
            assertEquals(2, loaded.spec().training().get("epochsCompleted"));
        }
        assertTrue(Files.isRegularFile(model.resolve("samples.png")));
        assertTrue(Files.isRegularFile(model.resolve("loss.png")));
        assertTrue(Files.isRegularFile(model.resolve("training-log.csv")));
    }

    @Test
    void badOptionsFailWithTheOptionNamed() {
        TrainCommand wrongHeight = new TrainCommand();
        new CommandLine(wrongHeight).parseArgs(trainArgs(temp.resolve("models/other"), "--height", "28"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, wrongHeight::call);
        assertTrue(e.getMessage().contains("--height 28"), e.getMessage());

        TrainCommand again = new TrainCommand();
        new CommandLine(again).parseArgs(trainArgs(model, "--epochs", "2"));
        e = assertThrows(IllegalArgumentException.class, again::call);
        assertTrue(e.getMessage().contains("--resume"), e.getMessage());

        TrainCommand format = new TrainCommand();
        new CommandLine(format).parseArgs(trainArgs(temp.resolve("models/x"), "--format", "png"));
        e = assertThrows(IllegalArgumentException.class, format::call);
        assertTrue(e.getMessage().contains("unknown dataset format 'png'"), e.getMessage());

        TrainCommand feat = new TrainCommand();
        new CommandLine(feat).parseArgs(trainArgs(temp.resolve("models/y"), "--n-feat", "12"));
        e = assertThrows(IllegalArgumentException.class, feat::call);
        assertTrue(e.getMessage().contains("--n-feat"), e.getMessage());

        TrainCommand precision = new TrainCommand();
        new CommandLine(precision).parseArgs(trainArgs(temp.resolve("models/z"), "--precision", "fp16"));
        e = assertThrows(IllegalArgumentException.class, precision::call);
        assertTrue(e.getMessage().contains("--precision must be one of fp32, bf16, got 'fp16'"), e.getMessage());
    }

    @Test
    void aBf16RunTrainsTheSameNetworkAndItsCardSaysSo() throws IOException {
        Path bf16 = temp.resolve("models/tiny-bf16");
        StringWriter out = new StringWriter();
        int code = command(new TrainCommand(), out, trainArgs(bf16, "--epochs", "2", "--height", "16", "--format",
                "idx", "--precision", "bf16"));
        assertEquals(0, code, out.toString());
        try (LoadedModel fp32Model = ModelLoader.fromDirectory(model, Device.cpu());
                LoadedModel bf16Model = ModelLoader.fromDirectory(bf16, Device.cpu())) {
            String recorded = String.valueOf(bf16Model.spec().training().get("precision"));
            assertTrue(recorded.startsWith("bf16: "), recorded);
            assertTrue(String.valueOf(fp32Model.spec().training().get("precision")).startsWith("fp32: "));
            // Same seed, data and order: only the arithmetic differs, so the weights do too.
            assertNotEquals(fp32Model.weightsSha256(), bf16Model.weightsSha256());
            double fp32Loss = ((Number) fp32Model.spec().training().get("finalLoss")).doubleValue();
            double bf16Loss = ((Number) bf16Model.spec().training().get("finalLoss")).doubleValue();
            assertEquals(fp32Loss, bf16Loss, 0.1 * fp32Loss, "bf16 learns as fp32 does");
        }
    }

    @Test
    void resumingAFinishedRunRepublishesIt() {
        StringWriter out = new StringWriter();
        int code = command(new TrainCommand(), out, trainArgs(model, "--epochs", "2", "--resume"));
        assertEquals(0, code, out.toString());
        assertTrue(out.toString().contains("2 epochs"), out.toString());
    }

    @Test
    void evaluationWritesAReportWithEverySettingAndItsGrid() throws IOException {
        Path report = temp.resolve("evaluation");
        StringWriter out = new StringWriter();
        int code = command(new EvaluateCommand(), out, "--model", model.toString(),
                "--data", train[0].toString(), "--labels", train[1].toString(), "--label-names", "left,top,centre",
                "--test-data", test[0].toString(), "--test-labels", test[1].toString(),
                "--out", report.toString(), "--samples-per-label", "6", "--ddpm-samples-per-label", "3",
                "--ddim-steps", "4", "--guidance", "0,2", "--ddpm", "best", "--classifier-epochs", "2",
                "--classifier-cache", temp.resolve("classifiers").toString(), "--batch-size", "8", "--no-progress");
        assertEquals(0, code, out.toString());
        String markdown = Files.readString(report.resolve("evaluation.md"));
        for (String row : List.of("| real images, N=6 | 6 |", "| real images, N=3 | 3 |", "| DDIM-4, w=0 | 6 |",
                "| DDIM-4, w=2 | 6 |", "| DDPM-40, w=")) {
            assertTrue(markdown.contains(row), row + " missing in\n" + markdown);
        }
        assertTrue(Files.isRegularFile(report.resolve("grid-ddim4-w0.png")));
        assertTrue(Files.isRegularFile(report.resolve("grid-ddim4-w2.png")));
        assertTrue(out.toString().contains("classifier (trained)"), out.toString());
    }

    @Test
    void aResumedEvaluationReadsTheChunksAnEarlierRunStoredAndScoresTheSameImages() throws IOException {
        Path report = temp.resolve("resumed");
        String[] args = {"--model", model.toString(),
                "--data", train[0].toString(), "--labels", train[1].toString(), "--label-names", "left,top,centre",
                "--test-data", test[0].toString(), "--test-labels", test[1].toString(),
                "--out", report.toString(), "--samples-per-label", "6", "--ddim-steps", "4", "--guidance", "1",
                "--ddpm", "none", "--classifier-epochs", "2", "--classifier-cache",
                temp.resolve("resumed-classifiers").toString(), "--batch-size", "2", "--no-progress", "--resume"};
        StringWriter first = new StringWriter();
        assertEquals(0, command(new EvaluateCommand(), first, args), first.toString());
        List<Path> chunks;
        try (var files = Files.list(report.resolve("generated"))) {
            chunks = files.sorted().toList();
        }
        assertEquals(3, chunks.size(), "18 images in chunks of 3 batches of 2: " + chunks);
        // A run stopped before its last chunk was stored: the next one samples only that chunk.
        Files.delete(chunks.get(2));

        StringWriter second = new StringWriter();
        assertEquals(0, command(new EvaluateCommand(), second, args), second.toString());

        assertTrue(second.toString().contains("(12 of 18 images read from an earlier run)"), second.toString());
        assertEquals(scoreLine(first.toString()).replaceAll("\\(.*\\)", ""),
                scoreLine(second.toString()).replaceAll("\\(.*\\)", ""), "the same images, the same scores");
        assertTrue(Files.readString(report.resolve("evaluation.md")).contains("| resumed |"),
                "the generation time of a resumed setting is not reported as if measured");
        assertTrue(Files.isRegularFile(chunks.get(2)), "the missing chunk is stored again");
    }

    private static String scoreLine(String console) {
        return console.lines().filter(l -> l.startsWith("DDIM-4, w=1")).findFirst().orElseThrow(
                () -> new AssertionError("no DDIM-4 line in " + console));
    }
}
