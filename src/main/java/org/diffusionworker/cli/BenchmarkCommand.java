package org.diffusionworker.cli;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.diffusionworker.diffusion.ClassifierFreeGuidance;
import org.diffusionworker.diffusion.SamplerKind;
import org.diffusionworker.diffusion.SamplerSettings;
import org.diffusionworker.generation.BatchPlan;
import org.diffusionworker.generation.GenerationEngine;
import org.diffusionworker.generation.ImageSlot;
import org.diffusionworker.generation.SamplingProgress;
import org.diffusionworker.model.DjlRuntime;
import org.diffusionworker.model.ModelLoader;
import org.diffusionworker.model.ModelSpec;
import org.jboss.logging.Logger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code benchmark}: sampling throughput of the Java path, and of the PyTorch reference in the
 * same run when {@code /usr/bin/python3} has torch, for the two model sizes.
 *
 * <p>DDIM-20 is timed whole; DDPM is timed over its first {@code --ddpm-steps} steps and
 * extrapolated to T, as the reference script does.
 */
@Command(name = "benchmark", mixinStandardHelpOptions = true,
        description = "Images/s of DDIM-20 and DDPM sampling on random-weight models, Java vs the PyTorch reference.")
public class BenchmarkCommand implements Callable<Integer> {

    private static final Logger LOG = Logger.getLogger(BenchmarkCommand.class);
    private static final int DDIM_STEPS = 20;
    private static final int T = 500;
    private static final int WARM_UP_STEPS = 150;

    @Spec
    CommandSpec spec;

    @Option(names = "--batches", split = ",", defaultValue = "1,16,64", description = "Batch sizes. Default: ${DEFAULT-VALUE}.")
    List<Integer> batches;

    @Option(names = "--ddpm-steps", defaultValue = "50", description = "DDPM steps timed (extrapolated to 500). Default: ${DEFAULT-VALUE}.")
    int ddpmSteps;

    @Option(names = "--repeats", defaultValue = "3", description = "Timed runs per case; the best is reported. Default: ${DEFAULT-VALUE}.")
    int repeats;

    @Option(names = "--configs", split = ",", defaultValue = "rgb16,gray28",
            description = "rgb16 (16x16x3, n_feat 64, n_cfeat 5) and/or gray28 (28x28x1, n_feat 64, n_cfeat 10).")
    List<String> configs;

    @Option(names = "--reference", defaultValue = "tools/reference/bench_reference.py",
            description = "The PyTorch reference script; skipped when /usr/bin/python3 lacks torch.")
    Path referenceScript;

    @Option(names = "--no-reference", description = "Time the Java path only.")
    boolean noReference;

    @Override
    public Integer call() throws Exception {
        boolean reference = !noReference && pythonHasTorch();
        PrintWriter out = spec.commandLine().getOut();
        out.printf(Locale.ROOT, "# diffusion-worker sampling benchmark (%d cores, DJL %s %s, device %s)%n",
                Runtime.getRuntime().availableProcessors(), DjlRuntime.engine().getEngineName(),
                DjlRuntime.engine().getVersion(), Device.cpu());
        out.println();
        out.println("| model | sampler | batch | Java images/s | PyTorch images/s | Java / PyTorch |");
        out.println("|---|---|---:|---:|---:|---:|");
        out.flush();
        for (String config : configs) {
            ModelSpec model = spec(config);
            try (GenerationEngine engine = new GenerationEngine(ModelLoader.randomlyInitialised(model, 0, Device.cpu()))) {
                warmUp(engine);
                for (SamplerKind kind : SamplerKind.values()) {
                    for (int batch : batches) {
                        double java = javaImagesPerSecond(engine, kind, batch);
                        Double torch = reference ? torchImagesPerSecond(model, kind, batch) : null;
                        out.printf(Locale.ROOT, "| %s | %s | %d | %.2f | %s | %s |%n", describe(model), label(kind), batch, java,
                                torch == null ? "n/a" : String.format(Locale.ROOT, "%.2f", torch),
                                torch == null ? "n/a" : String.format(Locale.ROOT, "%.2f", java / torch));
                        out.flush();
                    }
                }
            }
        }
        if (!reference) {
            out.println();
            out.println("PyTorch reference skipped (" + (noReference ? "--no-reference" : "/usr/bin/python3 has no torch") + ").");
        }
        return 0;
    }

    /**
     * Runs a few hundred untimed steps first: the JIT compiles DJL's per-call Java path (handle
     * creation and registration) only after thousands of calls, and a long-running worker is past
     * that point. Without it the first cases of a run measure the interpreter.
     */
    private void warmUp(GenerationEngine engine) {
        engine.warmUp();
        for (int batch : List.of(1, 4)) {
            javaImagesPerSecond(engine, SamplerKind.DDPM, batch, WARM_UP_STEPS, 1);
            javaImagesPerSecond(engine, SamplerKind.DDIM, batch, DDIM_STEPS, 1);
        }
    }

    private double javaImagesPerSecond(GenerationEngine engine, SamplerKind kind, int batch) {
        return javaImagesPerSecond(engine, kind, batch, kind == SamplerKind.DDIM ? DDIM_STEPS : ddpmSteps, repeats);
    }

    private double javaImagesPerSecond(GenerationEngine engine, SamplerKind kind, int batch, int timed, int runs) {
        int fullRun = kind == SamplerKind.DDIM ? DDIM_STEPS : T;
        SamplerSettings settings = kind == SamplerKind.DDIM ? SamplerSettings.ddim(DDIM_STEPS, 0) : SamplerSettings.ddpm(T);
        float[] context = new float[engine.spec().config().nCfeat()];
        context[0] = 1;
        List<ImageSlot> slots = new ArrayList<>();
        for (int i = 0; i < batch; i++) {
            slots.add(new ImageSlot(context, 1, i));
        }
        BatchPlan plan = new BatchPlan(settings, new ClassifierFreeGuidance(0), 0, slots);
        double bestPerStep = Double.MAX_VALUE;
        for (int r = 0; r < runs; r++) {
            StepClock clock = new StepClock(timed);
            try {
                engine.generate(plan, clock);
            } catch (StepClock.Done done) {
                // Reached the timed number of steps; the engine has released the batch.
            }
            bestPerStep = Math.min(bestPerStep, clock.seconds() / timed);
            LOG.infof("java %s %s batch %d: %.4f s/step", engine.spec().name(), label(kind), batch, clock.seconds() / timed);
        }
        return batch / (bestPerStep * fullRun);
    }

    private Double torchImagesPerSecond(ModelSpec model, SamplerKind kind, int batch) throws IOException, InterruptedException {
        int timed = kind == SamplerKind.DDIM ? DDIM_STEPS : ddpmSteps;
        double best = 0;
        for (int r = 0; r < repeats; r++) {
            List<String> command = List.of("/usr/bin/python3", referenceScript.toString(),
                    "--height", String.valueOf(model.config().height()), "--channels", String.valueOf(model.config().inChannels()),
                    "--n-feat", String.valueOf(model.config().nFeat()), "--n-cfeat", String.valueOf(model.config().nCfeat()),
                    "--batch", String.valueOf(batch), "--sampler", kind.id(), "--steps", String.valueOf(timed),
                    "--warmup", "2");
            Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!process.waitFor(10, TimeUnit.MINUTES) || process.exitValue() != 0) {
                throw new IllegalStateException("reference script failed: " + String.join(" ", command));
            }
            JsonNode line = new ObjectMapper().readTree(output.substring(output.lastIndexOf('\n') + 1));
            double ips = line.get("images_per_s_for_full_run").asDouble();
            LOG.infof("torch %s %s batch %d: %.2f images/s", model.name(), label(kind), batch, ips);
            best = Math.max(best, ips);
        }
        return best;
    }

    private static boolean pythonHasTorch() {
        try {
            Process p = new ProcessBuilder("/usr/bin/python3", "-c", "import torch").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static ModelSpec spec(String config) {
        return switch (config) {
            case "rgb16" -> benchmarkSpec(config, 3, 5, 16);
            case "gray28" -> benchmarkSpec(config, 1, 10, 28);
            default -> throw new IllegalArgumentException("unknown benchmark config '" + config + "' (rgb16 or gray28)");
        };
    }

    private static ModelSpec benchmarkSpec(String name, int channels, int labels, int height) {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < labels; i++) {
            names.add("label" + i);
        }
        return new ModelSpec(name, new ModelSpec.Architecture("ContextUnet", channels, 64, labels, height), names,
                new ModelSpec.Schedule(T, 1e-4, 0.02), null, Map.of("weights", "random (benchmark)"), null, null);
    }

    private static String describe(ModelSpec model) {
        var c = model.config();
        return c.height() + "x" + c.height() + "x" + c.inChannels() + " n_feat " + c.nFeat();
    }

    private String label(SamplerKind kind) {
        return kind == SamplerKind.DDIM ? "DDIM-20" : "DDPM-500 (" + ddpmSteps + " timed)";
    }

    /** Times steps and stops the run after {@code limit} of them. */
    private static final class StepClock implements SamplingProgress {
        private final int limit;
        private final long start = System.nanoTime();
        private long elapsed;

        StepClock(int limit) {
            this.limit = limit;
        }

        @Override
        public void onStep(int done, int total, long stepNanos) {
            elapsed = System.nanoTime() - start;
            if (done >= limit && done < total) {
                throw new Done();
            }
        }

        double seconds() {
            return elapsed / 1e9;
        }

        /** Ends a run early; not an error. */
        static final class Done extends RuntimeException {
            Done() {
                super(null, null, false, false);
            }
        }
    }
}
