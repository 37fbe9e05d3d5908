package org.diffusionworker.benchmark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.diffusionworker.diffusion.SamplerKind;
import org.diffusionworker.model.ContextUnetConfig;

/**
 * The PyTorch reference, {@code tools/reference/bench_reference.py} on {@code /usr/bin/python3},
 * one process per measurement, tuned as a user would: when {@code OPENBLAS_NUM_THREADS} is not
 * set, the child gets {@code OPENBLAS_NUM_THREADS=1} (torch runs its own intra-op threads; a second
 * pool in OpenBLAS competes with them). {@code OPENBLAS_CORETYPE} and {@code OPENBLAS_L2_SIZE} pass
 * through as the environment has them; the script records all three.
 */
final class ReferenceProcess {

    static final String PYTHON = "/usr/bin/python3";
    private static final String OPENBLAS_THREADS = "OPENBLAS_NUM_THREADS";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path script;
    private final Integer threads;

    /** {@code threads}: torch's intra-op threads in the child, or null for torch's own choice. */
    ReferenceProcess(Path script, Integer threads) {
        this.script = script;
        this.threads = threads;
    }

    /** Whether {@code /usr/bin/python3} imports torch. */
    static boolean available() {
        try {
            Process p = new ProcessBuilder(PYTHON, "-c", "import torch").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** How the child's OpenBLAS threads are set, for the report. */
    static String openBlasThreadsSetting() {
        String given = System.getenv(OPENBLAS_THREADS);
        return given == null ? "1 (set by benchmark: not in the environment)" : given + " (from the environment)";
    }

    /** Writes the seeded weights as {@code state_dict.npz} and a traced {@code contextunet.pt} into {@code directory}. */
    JsonNode export(ContextUnetConfig config, Path directory) throws IOException, InterruptedException {
        return run(config, List.of("--export", directory.toString()));
    }

    /**
     * Scripts the state dict that {@link #export} wrote into {@code directory} with {@code export_torchscript.py
     * --precision <precision>} (beside the reference script), the way {@code models/fashion-mnist-bf16} and
     * {@code models/fashion-mnist-packed} are made: {@code bf16} inside with fp32 at the edges, or {@code fp32-packed}
     * (BatchNorm folded, convolution weights in oneDNN's layout); returns the module's file.
     */
    Path exportScript(ContextUnetConfig config, Path stateDict, String precision, Path directory)
            throws IOException, InterruptedException {
        Files.createDirectories(directory);
        Path card = directory.resolve("source-card.json");
        ObjectNode architecture = JSON.createObjectNode().put("inChannels", config.inChannels())
                .put("nFeat", config.nFeat()).put("nCfeat", config.nCfeat()).put("height", config.height());
        Files.writeString(card, JSON.createObjectNode().put("name", "benchmark").set("architecture", architecture)
                .toString());
        execute(List.of(PYTHON, script.resolveSibling("export_torchscript.py").toString(), "--state-dict",
                stateDict.toString(), "--card", card.toString(), "--precision", precision, "--out", directory.toString()));
        return directory.resolve("contextunet-" + precision + ".pt");
    }

    /** One timed sampling run: {@code steps} network steps after 2 untimed ones. */
    JsonNode sample(ContextUnetConfig config, SamplerKind kind, int batch, int steps)
            throws IOException, InterruptedException {
        return run(config, List.of("--batch", String.valueOf(batch), "--sampler", kind.id(), "--steps",
                String.valueOf(steps), "--warmup", String.valueOf(SamplingTimer.WARM_UP_STEPS)));
    }

    /** {@code steps} timed optimiser steps after {@code warmUp} untimed ones. */
    JsonNode train(ContextUnetConfig config, int batch, int warmUp, int steps) throws IOException, InterruptedException {
        return run(config, List.of("--train", "--batch", String.valueOf(batch), "--steps", String.valueOf(steps),
                "--warmup", String.valueOf(warmUp)));
    }

    private JsonNode run(ContextUnetConfig config, List<String> arguments) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(PYTHON, script.toString(),
                "--height", String.valueOf(config.height()), "--channels", String.valueOf(config.inChannels()),
                "--n-feat", String.valueOf(config.nFeat()), "--n-cfeat", String.valueOf(config.nCfeat())));
        if (threads != null) {
            command.addAll(List.of("--threads", threads.toString()));
        }
        command.addAll(arguments);
        return execute(command);
    }

    private static JsonNode execute(List<String> command) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT);
        builder.environment().putIfAbsent(OPENBLAS_THREADS, "1");
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (!process.waitFor(10, TimeUnit.MINUTES) || process.exitValue() != 0) {
            process.destroyForcibly();
            throw new IllegalStateException("reference script failed: " + String.join(" ", command));
        }
        return JSON.readTree(output.substring(output.lastIndexOf('\n') + 1));
    }
}
