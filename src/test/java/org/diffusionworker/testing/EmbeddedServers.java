package org.diffusionworker.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import org.diffusionworker.embedded.EmbeddedKafkaBroker;
import org.diffusionworker.embedded.EmbeddedS3Server;

/**
 * The real parts the worker's tests run against: a Kafka broker (KRaft, in process) and an S3
 * server (S3Proxy, child process), their data under one directory. Topics are the caller's:
 * each test needs its own partition counts. Closing stops both, S3 first, and deletes the
 * directory when this fixture made it.
 */
public final class EmbeddedServers implements AutoCloseable {

    private final Path directory;
    private final boolean ownsDirectory;
    private EmbeddedKafkaBroker kafka;
    private EmbeddedS3Server s3;

    private EmbeddedServers(Path directory, boolean ownsDirectory) {
        this.directory = directory;
        this.ownsDirectory = ownsDirectory;
        try {
            kafka = EmbeddedKafkaBroker.builder(directory.resolve("kafka")).build().start();
            s3 = EmbeddedS3Server.builder(directory.resolve("s3")).build().start();
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** Both servers with their data in {@code directory} (e.g. JUnit's {@code @TempDir}, which deletes it). */
    public static EmbeddedServers in(Path directory) {
        return new EmbeddedServers(directory, false);
    }

    /** Both servers with their data in a new temporary directory, deleted on {@link #close}. */
    public static EmbeddedServers inTemporaryDirectory(String prefix) {
        try {
            return new EmbeddedServers(Files.createTempDirectory(prefix), true);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public EmbeddedKafkaBroker kafka() {
        return kafka;
    }

    public EmbeddedS3Server s3() {
        return s3;
    }

    @Override
    public void close() {
        if (s3 != null) {
            s3.close();
        }
        if (kafka != null) {
            kafka.close();
        }
        if (ownsDirectory) {
            try (var paths = Files.walk(directory)) {
                paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                // A temporary directory left behind is not worth failing a test run for.
            }
        }
    }
}
