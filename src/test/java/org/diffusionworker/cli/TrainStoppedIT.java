package org.diffusionworker.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged application's {@code train} stopped by SIGTERM (a pod's stop; Ctrl-C's SIGINT takes the same path
 * through the JVM's shutdown hooks) in the middle of a run. Before {@link StopSignal}, the JVM's exit ran libtorch's
 * static destructors under the main thread's backward pass, and two of five stops in the middle of a step died of
 * SIGSEGV (exit 134, an {@code hs_err} file in the working directory). Now the run stops between two steps, says how
 * to resume, and exits cleanly; three stops at different points of a step leave a remaining crash likely to show.
 */
class TrainStoppedIT {

    private static final int STOPS = 3;

    @TempDir
    Path temp;

    @Test
    void sigtermStopsTrainingBetweenTwoStepsAndTheProcessExitsCleanly() throws Exception {
        Path[] data = TinyIdx.write(temp.resolve("data"), "train", 256, 3, 1);
        for (int stop = 0; stop < STOPS; stop++) {
            Path directory = Files.createDirectories(temp.resolve("run-" + stop));
            Path log = directory.resolve("train.log");
            Process train = new ProcessBuilder(command(data, directory)).directory(directory.toFile())
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            try {
                awaitLine(train, log, "epoch 1/1000");
                // A different point of the step each time (a step here takes 0.1-0.5 s).
                Thread.sleep(150L * stop);
                train.destroy();
                assertTrue(train.waitFor(90, TimeUnit.SECONDS), "exits within the grace period");
            } finally {
                train.destroyForcibly();
            }
            String output = Files.readString(log);
            // 143 = 128 + SIGTERM: the JVM's status after a clean signal-initiated exit (a crash is 134).
            assertEquals(143, train.exitValue(), output);
            assertTrue(output.contains("stopped by a signal (Ctrl-C or SIGTERM) after epoch"), output);
            assertTrue(output.contains("--resume continues from the newest checkpoint in"), output);
            assertFalse(output.contains("A fatal error has been detected"), output);
            try (Stream<Path> files = Files.list(directory)) {
                assertEquals(List.of(), files.map(f -> f.getFileName().toString())
                        .filter(name -> name.startsWith("hs_err")).toList(), output);
            }
        }
    }

    private static List<String> command(Path[] data, Path directory) {
        String jar = Path.of(System.getProperty("it.application.jar", "target/quarkus-app/quarkus-run.jar"))
                .toAbsolutePath().toString();
        return List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g",
                "-Dai.djl.offline=true", "-jar", jar, "train", "--format", "idx", "--data", data[0].toString(),
                "--labels", data[1].toString(), "--label-names", "left,top,centre", "--height", "16",
                "--out", directory.resolve("model").toString(), "--epochs", "1000", "--batch-size", "32",
                "--n-feat", "64", "--checkpoint-every", "1000", "--no-progress");
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
