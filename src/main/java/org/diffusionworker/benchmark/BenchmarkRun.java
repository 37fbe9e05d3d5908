package org.diffusionworker.benchmark;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.diffusionworker.diffusion.SamplerKind;
import org.diffusionworker.generation.GenerationEngine;
import org.diffusionworker.model.CpuFeatures;
import org.diffusionworker.model.DjlRuntime;
import org.diffusionworker.model.ModelSpec;
import org.diffusionworker.model.NetworkFlops;
import org.diffusionworker.training.TrainingPrecision;

/**
 * The benchmark harness behind {@code benchmark}: throughput of the Java path against the PyTorch reference, measured
 * side by side. Each case runs the Java blocks (what the worker runs), the same weights as one TorchScript graph, and
 * the reference in turn, {@code --repeats} times, and reports medians with their range, the median of the paired
 * ratios, and GFLOP/s beside an fp32 ceiling measured through the same engine. Sampling: DDIM-20 timed whole; DDPM
 * over its first {@code --ddpm-steps} steps, extrapolated to T. Training: one optimiser step of the diffusion loss at
 * batch 64 on 28x28x1, n_feat 64, in each of {@code --training-precisions} (the Java float32 blocks and the bf16
 * scripted step) against the reference's float32 step. The report goes out as markdown, line by line; progress to
 * {@code err}.
 */
public final class BenchmarkRun {

    private static final int T = 500;
    private static final int CEILING_RUNS = 5;
    private static final int TRAINING_WARM_UP = 2;
    /** The training case's model (issue 13): 28x28x1, n_feat 64. */
    private static final String TRAINING_CONFIG = "gray28";
    /** Forward and backward of a training step: the backward pass costs about two forward passes. */
    private static final int TRAINING_FLOPS_PER_FORWARD = 3;

    /** Whether the bf16 export is timed; the constants are the option's values as typed. */
    public enum Bf16Column { auto, on, off }

    /**
     * What to run, as the options say it (their names are in the messages of what is refused).
     *
     * @param threads intra-op threads for the reference; null for its own choice (the Java side's is set before its
     *                engine starts, by the command)
     * @param outFile where the markdown goes as well, or null
     */
    public record Settings(List<String> cases, List<Integer> batches, int ddpmSteps, int repeats, List<String> configs,
            int trainingBatch, List<String> trainingPrecisions, int trainingSteps, Integer threads, Path referenceScript,
            boolean noReference, Bf16Column bf16, Path outFile) {

        public Settings {
            for (String c : cases) {
                if (!c.equals("sampling") && !c.equals("training")) {
                    throw new IllegalArgumentException("unknown --cases '" + c + "' (sampling, training)");
                }
            }
            parsePrecisions(trainingPrecisions);
            if (repeats < 1 || ddpmSteps < 1 || trainingSteps < 1 || trainingBatch < 1
                    || batches.stream().anyMatch(b -> b < 1)) {
                throw new IllegalArgumentException("--repeats, --ddpm-steps, --training-steps and batch sizes must be"
                        + " >= 1");
            }
        }
    }

    private final Settings settings;
    private final PrintWriter out;
    private final PrintWriter err;

    public BenchmarkRun(Settings settings, PrintWriter out, PrintWriter err) {
        this.settings = settings;
        this.out = out;
        this.err = err;
    }

    /** Why the bf16 column is not timed in this run, if it is not; decided once, from --bf16 and the CPU's flags. */
    private Optional<String> bf16NotTimed = Optional.empty();

    /** Whether the PyTorch reference can run here: {@code /usr/bin/python3} with torch. */
    public static boolean referenceAvailable() {
        return ReferenceProcess.available();
    }

    /** Runs every case asked for, printing the report as it is made, and writes it to the file asked for. */
    public void run() throws IOException, InterruptedException {
        bf16NotTimed = bf16Skipped(settings.bf16(), CpuFeatures.usableBf16Flags());
        ReferenceProcess reference = !settings.noReference() && ReferenceProcess.available()
                ? new ReferenceProcess(settings.referenceScript(), settings.threads()) : null;
        MarkdownReport report = new MarkdownReport(out);
        Set<ModelSpec> models = new LinkedHashSet<>();
        if (settings.cases().contains("sampling")) {
            settings.configs().forEach(c -> models.add(spec(c)));
        }
        if (settings.cases().contains("training")) {
            models.add(spec(TRAINING_CONFIG));
        }
        progress("exporting the weights through the reference ...");
        try (BenchmarkWeights weights = BenchmarkWeights.export(reference, models)) {
            progress("measuring the fp32 ceiling ...");
            header(report, reference, weights, Fp32Ceiling.measure(CEILING_RUNS));
            if (settings.cases().contains("sampling")) {
                sampling(report, reference, weights);
            }
            if (settings.cases().contains("training")) {
                training(report, reference, weights);
            }
        }
        progress("measuring the fp32 ceiling again ...");
        Fp32Ceiling.Result after = Fp32Ceiling.measure(CEILING_RUNS);
        report.line("");
        report.line("Finished %s, load average %.2f; fp32 ceiling at the end: matmul %s, convolution %s GFLOP/s.",
                Instant.now().truncatedTo(ChronoUnit.SECONDS), loadAverage(), after.matmul().format(1),
                after.convolution().format(1));
        if (settings.outFile() != null) {
            report.writeTo(settings.outFile());
        }
    }

    /**
     * Why the bf16 export is not timed, if it is not: {@code --bf16 off}, or {@code auto} where oneDNN has no bf16
     * units to use (none on the CPU, or {@code ONEDNN_MAX_CPU_ISA} below them; there oneDNN emulates bf16: about 20x
     * slower than fp32 at batch 1 on an AVX2 CPU, and a benchmark of hours).
     */
    public static Optional<String> bf16Skipped(Bf16Column mode, Optional<List<String>> cpuBf16Flags) {
        return switch (mode) {
            case off -> Optional.of("--bf16 off");
            case on -> Optional.empty();
            case auto -> cpuBf16Flags.isPresent() && cpuBf16Flags.get().isEmpty()
                    ? Optional.of("no bf16 units oneDNN may use, where emulated bf16 is many times slower than fp32;"
                            + " --bf16 on times it")
                    : Optional.empty();
        };
    }

    private void header(MarkdownReport report, ReferenceProcess reference, BenchmarkWeights weights,
            Fp32Ceiling.Result ceiling) {
        int javaThreads = DjlRuntime.intraOpThreads();
        report.line("# diffusion-worker benchmark (%d cores, %s, load average %.2f at the start)",
                Runtime.getRuntime().availableProcessors(), Instant.now().truncatedTo(ChronoUnit.SECONDS), loadAverage());
        report.line("");
        report.line("Each case runs the Java blocks, TorchScript (fp32 traced, fp32 packed, bf16) and PyTorch (those present)"
                + " in turn, %d times;"
                + " cells are the median"
                + " (min-max) of the %d repeats, ratios the median (min-max) of the ratios of repeats run side by side.",
                settings.repeats(), settings.repeats());
        report.line("");
        report.line("- Java: DJL %s, %s engine %s, CPU, %d intra-op thread(s); Java %s.", ai.djl.engine.Engine.getDjlVersion(),
                DjlRuntime.engine().getEngineName(), DjlRuntime.engine().getVersion(), javaThreads,
                System.getProperty("java.version"));
        Optional<JsonNode> env = weights.referenceEnvironment();
        if (env.isPresent()) {
            JsonNode e = env.get();
            report.line("- PyTorch reference: torch %s, %d intra-op thread(s), BLAS %s%s; OPENBLAS_NUM_THREADS=%s;"
                    + " OPENBLAS_CORETYPE=%s; OPENBLAS_L2_SIZE=%s.", text(e, "torch"), e.path("torch_num_threads").asInt(),
                    text(e, "blas"), e.has("openblas_core") ? " (core " + text(e, "openblas_core") + ", "
                            + e.path("openblas_threads_in_effect").asInt() + " thread(s) in effect)" : "",
                    ReferenceProcess.openBlasThreadsSetting(), text(e, "OPENBLAS_CORETYPE"), text(e, "OPENBLAS_L2_SIZE"));
            if (text(e, "blas").contains("unoptimised")) {
                report.line("- **The reference runs on an unoptimised BLAS**: its figures are not those of a tuned"
                        + " PyTorch; `apt-get install libopenblas0-pthread` and run again.");
            }
            if (e.path("torch_num_threads").asInt() != javaThreads) {
                report.line("- **Thread counts differ** (Java %d, reference %d): pass `--threads N` to give both sides"
                        + " the same.", javaThreads, e.path("torch_num_threads").asInt());
            }
            report.line("- Weights: PyTorch's default initialisation from seed 0, exported by the reference (`--export`):"
                    + " the Java blocks load its state dict, TorchScript its trace, packed the same state dict scripted in"
                    + " fp32 with BatchNorm folded and the convolution weights in oneDNN's layout (`export_torchscript.py"
                    + " --precision fp32-packed`), bf16 scripted with bf16 weights and arithmetic inside and fp32 at its"
                    + " edges (`--precision bf16`, as `models/fashion-mnist-bf16`); every reference run reports the same"
                    + " SHA-256 (checked).");
            report.line("- bf16 units on this CPU: %s; bf16 column: %s.", CpuFeatures.bf16(),
                    bf16NotTimed.map(why -> "not timed (" + why + ")").orElse("timed"));
        } else {
            report.line("- PyTorch reference: skipped (%s); no TorchScript columns without its export. Java weights:"
                    + " the project's seeded initialisation.", settings.noReference() ? "--no-reference" : "/usr/bin/python3 has no torch");
        }
        report.line("- fp32 ceiling through the same engine at the start (median (min-max) of %d): matmul %dx%d %s GFLOP/s;"
                + " 3x3 convolution %d->%d channels, %dx%d, batch %d: %s GFLOP/s.", CEILING_RUNS, Fp32Ceiling.MATRIX,
                Fp32Ceiling.MATRIX, ceiling.matmul().format(1), Fp32Ceiling.CONV_CHANNELS, Fp32Ceiling.CONV_CHANNELS,
                Fp32Ceiling.CONV_SIZE, Fp32Ceiling.CONV_SIZE, Fp32Ceiling.CONV_BATCH, ceiling.convolution().format(1));
        report.line("- GFLOP/s: images/s x network calls per image x FLOPs per call (convolutions, transposed"
                + " convolutions and linear layers from the layer shapes, `NetworkFlops`); training counts 3x the forward.");
    }

    private void sampling(MarkdownReport report, ReferenceProcess reference, BenchmarkWeights weights)
            throws IOException, InterruptedException {
        report.line("");
        report.line("## Sampling");
        report.line("");
        BenchmarkTables.samplingHeader(report);
        for (String config : settings.configs()) {
            ModelSpec model = spec(config);
            long flopsPerCall = NetworkFlops.forwardPerImage(model.config());
            try (GenerationEngine blocks = new GenerationEngine(weights.blocks(model));
                    OptionalEngine script = new OptionalEngine(weights.torchScript(model).map(GenerationEngine::new));
                    OptionalEngine packedScript = new OptionalEngine(
                            weights.torchScriptPacked(model).map(GenerationEngine::new));
                    OptionalEngine bf16Script = new OptionalEngine(bf16NotTimed.isEmpty()
                            ? weights.torchScriptBf16(model).map(GenerationEngine::new) : Optional.empty())) {
                SamplingTimer javaTimer = new SamplingTimer(blocks);
                Optional<SamplingTimer> scriptTimer = script.engine().map(SamplingTimer::new);
                Optional<SamplingTimer> packedTimer = packedScript.engine().map(SamplingTimer::new);
                Optional<SamplingTimer> bf16Timer = bf16Script.engine().map(SamplingTimer::new);
                progress("warming up " + config + " ...");
                javaTimer.warmUp();
                scriptTimer.ifPresent(SamplingTimer::warmUp);
                packedTimer.ifPresent(SamplingTimer::warmUp);
                bf16Timer.ifPresent(SamplingTimer::warmUp);
                // The reference process runs DDIM and DDPM; the solvers' steps cost what DDIM's do (one network call).
                for (SamplerKind kind : List.of(SamplerKind.DDPM, SamplerKind.DDIM)) {
                    int timed = kind == SamplerKind.DDIM ? SamplingTimer.DDIM_STEPS : settings.ddpmSteps();
                    for (int batch : settings.batches()) {
                        List<Double> java = new ArrayList<>();
                        List<Double> ts = new ArrayList<>();
                        List<Double> packed = new ArrayList<>();
                        List<Double> bf16 = new ArrayList<>();
                        List<Double> torch = new ArrayList<>();
                        for (int r = 0; r < settings.repeats(); r++) {
                            java.add(javaTimer.imagesPerSecond(kind, batch, timed));
                            if (scriptTimer.isPresent()) {
                                ts.add(scriptTimer.get().imagesPerSecond(kind, batch, timed));
                            }
                            if (packedTimer.isPresent()) {
                                packed.add(packedTimer.get().imagesPerSecond(kind, batch, timed));
                            }
                            if (bf16Timer.isPresent()) {
                                bf16.add(bf16Timer.get().imagesPerSecond(kind, batch, timed));
                            }
                            if (reference != null) {
                                JsonNode run = reference.sample(model.config(), kind, batch, timed);
                                weights.check(model, run);
                                torch.add(run.get("images_per_s_for_full_run").asDouble());
                            }
                            progress(String.format(Locale.ROOT, "%s %s batch %d repeat %d/%d: Java %.3f, TorchScript %s,"
                                    + " packed %s, bf16 %s, PyTorch %s images/s", config, label(kind), batch, r + 1,
                                    settings.repeats(), last(java), lastOrNa(ts), lastOrNa(packed), lastOrNa(bf16),
                                    lastOrNa(torch)));
                        }
                        BenchmarkTables.samplingRow(report, describe(model), label(kind), batch, new Spread(java),
                                spread(ts), spread(packed), spread(bf16), spread(torch),
                                (double) flopsPerCall * SamplingTimer.fullRunSteps(kind, T));
                    }
                }
            }
        }
    }

    /** The parsed {@code --training-precisions}, each once, in the order given. */
    private static List<TrainingPrecision> parsePrecisions(List<String> trainingPrecisions) {
        Set<TrainingPrecision> parsed = new LinkedHashSet<>();
        for (String p : trainingPrecisions) {
            try {
                parsed.add(TrainingPrecision.parse(p));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--training-precisions " + e.getMessage(), e);
            }
        }
        return List.copyOf(parsed);
    }

    /**
     * Each repeat times every Java precision, then the reference, so all columns see the same machine; the
     * reference runs in float32 (Debian's torch 1.13 cannot run this network under CPU autocast).
     */
    private void training(MarkdownReport report, ReferenceProcess reference, BenchmarkWeights weights)
            throws IOException, InterruptedException {
        report.line("");
        report.line("## Training");
        report.line("");
        ModelSpec model = spec(TRAINING_CONFIG);
        List<TrainingPrecision> precisions = parsePrecisions(settings.trainingPrecisions());
        Path stateDict = weights.stateDict(model).orElse(null);
        Map<TrainingPrecision, List<Double>> java = new LinkedHashMap<>();
        List<Double> torch = new ArrayList<>();
        List<TrainingStepTimer> timers = new ArrayList<>();
        try {
            for (TrainingPrecision precision : precisions) {
                timers.add(new TrainingStepTimer(model, stateDict, settings.trainingBatch(), 0, precision));
                java.put(precision, new ArrayList<>());
            }
            progress("warming up the training step ...");
            timers.forEach(t -> t.imagesPerSecond(0, TRAINING_WARM_UP + 1));
            for (int r = 0; r < settings.repeats(); r++) {
                StringBuilder line = new StringBuilder();
                for (int i = 0; i < precisions.size(); i++) {
                    List<Double> figures = java.get(precisions.get(i));
                    figures.add(timers.get(i).imagesPerSecond(TRAINING_WARM_UP, settings.trainingSteps()));
                    line.append(String.format(Locale.ROOT, "Java %s %.1f, ", precisions.get(i).optionValue(),
                            last(figures)));
                }
                if (reference != null) {
                    JsonNode run = reference.train(model.config(), settings.trainingBatch(), TRAINING_WARM_UP,
                            settings.trainingSteps());
                    weights.check(model, run);
                    torch.add(run.get("images_per_s").asDouble());
                }
                progress(String.format(Locale.ROOT, "training batch %d repeat %d/%d: %sPyTorch fp32 %s images/s",
                        settings.trainingBatch(), r + 1, settings.repeats(), line, lastOrNa(torch)));
            }
        } finally {
            timers.forEach(TrainingStepTimer::close);
        }
        BenchmarkTables.trainingHeader(report);
        for (TrainingPrecision precision : precisions) {
            BenchmarkTables.trainingRow(report, describe(model), "Adam, MSE of the noise (" + settings.trainingSteps()
                    + " timed); Java " + precision.optionValue() + ", PyTorch fp32", settings.trainingBatch(),
                    new Spread(java.get(precision)), spread(torch),
                    (double) TRAINING_FLOPS_PER_FORWARD * NetworkFlops.forwardPerImage(model.config()));
        }
    }

    private void progress(String message) {
        err.println(message);
        err.flush();
    }

    private static Optional<Spread> spread(List<Double> values) {
        return values.isEmpty() ? Optional.empty() : Optional.of(new Spread(values));
    }

    private static double last(List<Double> values) {
        return values.get(values.size() - 1);
    }

    private static String lastOrNa(List<Double> values) {
        return values.isEmpty() ? "n/a" : String.format(Locale.ROOT, "%.3f", last(values));
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? "unset" : value.asText();
    }

    private static double loadAverage() {
        return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }

    static ModelSpec spec(String config) {
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
        return kind == SamplerKind.DDIM ? "DDIM-20" : "DDPM-500 (" + settings.ddpmSteps() + " timed)";
    }

    /** A generation engine when there is a model for it, closed with the try block. */
    private record OptionalEngine(Optional<GenerationEngine> engine) implements AutoCloseable {
        @Override
        public void close() {
            engine.ifPresent(GenerationEngine::close);
        }
    }
}
