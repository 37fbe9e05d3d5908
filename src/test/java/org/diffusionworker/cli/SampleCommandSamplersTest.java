package org.diffusionworker.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code sample --sampler dpmpp-2m|unipc}: run, named in the result line, and refused with DDIM's options. */
class SampleCommandSamplersTest {

    private static final String MODEL = "src/test/resources/models/random-gray28";

    @TempDir
    Path temp;

    @Test
    void theMultistepSamplersSampleAndAreNamedInTheResultLine() {
        String dpm = run("--sampler", "dpmpp-2m", "--steps", "6", "--out", temp.resolve("dpm.png").toString());
        assertTrue(dpm.contains("DPM++2M-6 log-snr"), "log-SNR below 10 steps: " + dpm);
        String dpm12 = run("--sampler", "dpmpp-2m", "--steps", "12", "--out", temp.resolve("dpm12.png").toString());
        assertTrue(dpm12.contains("DPM++2M-12 trailing"), "trailing from 10 steps: " + dpm12);
        String unipc = run("--sampler", "unipc", "--steps", "5", "--spacing", "trailing", "--out",
                temp.resolve("unipc.png").toString(), "--gif", temp.resolve("unipc.gif").toString());
        assertTrue(unipc.contains("UniPC-5 trailing") && unipc.contains("6 frame(s)"), unipc);
        assertTrue(Files.isRegularFile(temp.resolve("unipc.png")));
    }

    @Test
    void ddimOnlyOptionsWithASolverAreRefusedNamingBoth() {
        IllegalArgumentException eta = refused("--sampler", "dpmpp-2m", "--eta", "0.5");
        assertTrue(eta.getMessage().contains("--eta") && eta.getMessage().contains("dpmpp-2m"), eta.getMessage());
        IllegalArgumentException spacing = refused("--sampler", "ddim", "--spacing", "log-snr");
        assertTrue(spacing.getMessage().contains("--spacing") && spacing.getMessage().contains("ddim"),
                spacing.getMessage());
        IllegalArgumentException unknown = refused("--sampler", "unipc", "--spacing", "karras");
        assertTrue(unknown.getMessage().contains("karras"), unknown.getMessage());
    }

    private String run(String... more) {
        StringWriter stdout = new StringWriter();
        CommandLine command = new CommandLine(new SampleCommand());
        command.setOut(new PrintWriter(stdout, true));
        assertEquals(0, command.execute(args(more)), stdout.toString());
        return stdout.toString();
    }

    private IllegalArgumentException refused(String... more) {
        SampleCommand sample = new SampleCommand();
        CommandLine command = new CommandLine(sample);
        command.parseArgs(args("--out", temp.resolve("refused.png").toString(), more));
        sample.spec = command.getCommandSpec();
        return assertThrows(IllegalArgumentException.class, sample::call);
    }

    private static String[] args(String... more) {
        return args(null, null, more);
    }

    private static String[] args(String option, String value, String... more) {
        String[] base = {"-q", "--device", "cpu", "--model", MODEL, "--label", "trouser", "--count", "2", "--seed", "3"};
        int extra = option == null ? 0 : 2;
        String[] all = new String[base.length + extra + more.length];
        System.arraycopy(base, 0, all, 0, base.length);
        if (option != null) {
            all[base.length] = option;
            all[base.length + 1] = value;
        }
        System.arraycopy(more, 0, all, base.length + extra, more.length);
        return all;
    }
}
