package org.diffusionworker.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.diffusionworker.testing.TinyIdx;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged application's {@code train} and {@code evaluate} stopped by SIGTERM (a pod's stop; Ctrl-C's SIGINT
 * takes the same path through the JVM's shutdown hooks) in the middle of their work. Before {@link org.diffusionworker.console.StopSignal}, the
 * JVM's exit ran libtorch's static destructors under the main thread's backward pass, and two of five stops in the
 * middle of a training step died of SIGSEGV (exit 134, an {@code hs_err} file in the working directory). Now the
 * command stops between two steps, says so, and exits cleanly; three stops at different points of a training step
 * leave a remaining crash likely to show.
 */
class StoppedBySignalIT {

    private static final int STOPS = 3;

    @TempDir
    Path temp;

    @Test
    void sigtermStopsTrainingBetweenTwoStepsAndTheProcessExitsCleanly() throws Exception {
        Path[] data = TinyIdx.write(temp.resolve("data"), "train", 256, 3, 1);
        for (int stop = 0; stop < STOPS; stop++) {
            Path directory = Files.createDirectories(temp.resolve("run-" + stop));
            String output = stopAfter(directory, train(data, directory, "1000", "1000"), "epoch 1/1000", 150L * stop);
            assertTrue(output.contains("stopped by a signal (Ctrl-C or SIGTERM) after epoch"), output);
            assertTrue(output.contains("--resume continues from the newest checkpoint in"), output);
        }
    }

    @Test
    void sigtermStopsAnEvaluationBetweenTwoStepsAndTheProcessExitsCleanly() throws Exception {
        Path[] data = TinyIdx.write(temp.resolve("data"), "train", 96, 3, 1);
        Path directory = Files.createDirectories(temp.resolve("evaluate"));
        Process train = new ProcessBuilder(train(data, directory, "1", "1")).directory(directory.toFile())
                .redirectErrorStream(true)
                .redirectOutput(directory.resolve("train.log").toFile()).start();
        assertTrue(train.waitFor(5, TimeUnit.MINUTES), "a one-epoch model");
        assertEquals(0, train.exitValue(), Files.readString(directory.resolve("train.log")));
        List<String> evaluate = new ArrayList<>(java());
        evaluate.addAll(List.of("evaluate", "--model", directory.resolve("model").toString(), "--data",
                data[0].toString(), "--labels", data[1].toString(), "--label-names", "left,top,centre",
                "--test-data", data[0].toString(), "--test-labels", data[1].toString(), "--classifier-epochs", "500",
                "--classifier-cache", directory.resolve("classifiers").toString()));
        // The classifier's progress bar (stderr) shows that the stop can only land in its training.
        String output = stopAfter(directory, evaluate, "classifier", 500);
        assertTrue(output.contains("stopped by a signal (Ctrl-C or SIGTERM) in the middle of the evaluation; no"
                + " report was written"), output);
    }

    /**
     * Starts {@code command} in {@code directory}, sends SIGTERM {@code delayMillis} after {@code line} shows in its
     * output, and checks a clean exit; returns the output.
     */
    private static String stopAfter(Path directory, List<String> command, String line, long delayMillis)
            throws Exception {
        Path log = directory.resolve("stopped.log");
        Process process = new ProcessBuilder(command).directory(directory.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        try {
            awaitLine(process, log, line);
            Thread.sleep(delayMillis);
            process.destroy();
            assertTrue(process.waitFor(90, TimeUnit.SECONDS), "exits within the grace period");
        } finally {
            process.destroyForcibly();
        }
        String output = Files.readString(log);
        // 143 = 128 + SIGTERM: the JVM's status after a clean signal-initiated exit (a crash is 134).
        assertEquals(143, process.exitValue(), output);
        assertFalse(output.contains("A fatal error has been detected"), output);
        try (Stream<Path> files = Files.list(directory)) {
            assertEquals(List.of(), files.map(f -> f.getFileName().toString())
                    .filter(name -> name.startsWith("hs_err")).toList(), output);
        }
        return output;
    }

    private static List<String> java() {
        String jar = Path.of(System.getProperty("it.application.jar", "target/quarkus-app/quarkus-run.jar"))
                .toAbsolutePath().toString();
        return List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g",
                "-Dai.djl.offline=true", "-jar", jar);
    }

    private static List<String> train(Path[] data, Path directory, String epochs, String checkpointEvery) {
        List<String> command = new ArrayList<>(java());
        command.addAll(List.of("train", "--format", "idx", "--data", data[0].toString(), "--labels",
                data[1].toString(), "--label-names", "left,top,centre", "--height", "16", "--out",
                directory.resolve("model").toString(), "--epochs", epochs, "--batch-size", "32", "--n-feat", "64",
                "--checkpoint-every", checkpointEvery, "--no-progress"));
        return command;
    }

    private static void awaitLine(Process process, Path log, String line) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (System.nanoTime() < deadline) {
            if (Files.exists(log) && Files.readString(log).contains(line)) {
                return;
            }
            assertTrue(process.isAlive(), () -> "train ended early: " + read(log));
            Thread.sleep(100);
        }
        throw new AssertionError("no '" + line + "' within 3 minutes: " + read(log));
    }

    private static String read(Path log) {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }
}
