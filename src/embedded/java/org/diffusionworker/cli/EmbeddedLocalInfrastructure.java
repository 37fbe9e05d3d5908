package org.diffusionworker.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.diffusionworker.embedded.EmbeddedKafkaBroker;
import org.diffusionworker.embedded.EmbeddedS3Server;

/**
 * The demo's infrastructure, started before the application: a Kafka broker (KRaft, in this JVM) and an S3 store
 * (S3Proxy, a child process), both on 127.0.0.1 with their data under one folder ({@code --data}, default
 * {@code data/local}), and the application pointed at them through system properties. Only in builds with the
 * embedded profile (the default); see {@link LocalInfrastructure}.
 */
public final class EmbeddedLocalInfrastructure implements LocalInfrastructure {

    private static final System.Logger LOG = System.getLogger(EmbeddedLocalInfrastructure.class.getName());

    static final Path DEFAULT_DATA = Path.of("data", "local");
    static final Path TRAINED_MODEL = Path.of("models", "fashion-mnist");
    static final Path TEST_MODEL = Path.of("src", "test", "resources", "models", "random-gray28");

    private EmbeddedKafkaBroker kafka;
    private EmbeddedS3Server s3;

    @Override
    public void start(String... args) {
        Path data = Path.of(option(args, "--data", DEFAULT_DATA.toString()));
        String model = option(args, "--model", null);
        LOG.log(Level.INFO, String.format(
                "Starting a local Kafka broker and S3 store with their data in %s ...", data.toAbsolutePath()));
        kafka = EmbeddedKafkaBroker.builder(data.resolve("kafka")).build().start();
        kafka.createTopics("generation-requests", "generation-events", "generation-requests-dead-letter",
                "generation-control");
        s3 = EmbeddedS3Server.builder(data.resolve("s3")).build().start();
        LOG.log(Level.INFO, String.format(
                "Kafka broker on %s, S3 store (S3Proxy) on %s", kafka.bootstrapServers(), s3.endpoint()));

        setIfAbsent("kafka.bootstrap.servers", kafka.bootstrapServers());
        setIfAbsent("diffusionworker.storage.endpoint", s3.endpoint().toString());
        // Generated for this run; they stay in this process (and S3Proxy's), never on disk or in a log.
        System.setProperty("diffusionworker.storage.access-key", s3.credentials().accessKey());
        System.setProperty("diffusionworker.storage.secret-key", s3.credentials().secretKey());
        setIfAbsent("quarkus.http.host", "127.0.0.1");
        setIfAbsent("quarkus.http.port", Integer.toString(freePort()));
        setIfAbsent("diffusionworker.model.path", modelPath(model).toString());
    }

    @Override
    public void stop() {
        if (s3 != null) {
            s3.close();
        }
        if (kafka != null) {
            kafka.close();
        }
    }

    private static Path modelPath(String given) {
        if (given != null) {
            return Path.of(given);
        }
        if (Files.isDirectory(TRAINED_MODEL)) {
            return TRAINED_MODEL;
        }
        if (Files.isDirectory(TEST_MODEL)) {
            LOG.log(Level.WARNING, String.format(
                    "No trained model at %s yet: the demo uses the random-weight test model %s, so the images are"
                    + " noise (the pipeline is real). Pass --model DIR to choose another.", TRAINED_MODEL, TEST_MODEL));
            return TEST_MODEL;
        }
        throw new IllegalArgumentException("no model at " + TRAINED_MODEL + "; pass --model DIR");
    }

    /** The value of {@code --name VALUE} or {@code --name=VALUE} in {@code args}. */
    static String option(String[] args, String name, String fallback) {
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals(name) && i + 1 < args.length) {
                return args[i + 1];
            }
            if (args[i].startsWith(name + "=")) {
                return args[i].substring(name.length() + 1);
            }
        }
        return fallback;
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port on the loopback interface", e);
        }
    }
}
