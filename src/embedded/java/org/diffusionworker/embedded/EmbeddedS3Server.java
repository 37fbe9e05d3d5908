package org.diffusionworker.embedded;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.lang.System.Logger.Level;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;


/**
 * A real S3-compatible server for tests and the local demo: S3Proxy with its filesystem backend, run as a child
 * process. It is a separate JVM on purpose: S3Proxy's Guice/jclouds stack clashes with Quarkus inside one JVM.
 *
 * <p>It listens on 127.0.0.1 (unless built with another address), keeps buckets as directories under {@code <dataDirectory>/buckets}, accepts AWS
 * signature v2 and v4 with credentials generated at start (the secret is never logged) and writes the child's
 * output to {@code <dataDirectory>/s3proxy.log}. A JVM shutdown hook stops the child if {@link #close()} was not
 * called; nothing can stop it if this JVM is killed with SIGKILL.
 */
public final class EmbeddedS3Server implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(EmbeddedS3Server.class.getName());

    /** S3Proxy does not check the region; clients still need one to sign requests. */
    public static final String REGION = "us-east-1";

    private static final String LOOPBACK = "127.0.0.1";
    private static final Duration PROBE_INTERVAL = Duration.ofMillis(100);
    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(2);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);
    private static final int OUTPUT_TAIL_LINES = 40;
    // A small heap and C1 only: the server handles test-sized traffic and should start fast.
    private static final List<String> CHILD_JVM_OPTIONS = List.of("-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC");

    private enum State { NEW, RUNNING, CLOSED }

    private final Path dataDirectory;
    /** The address it listens on. */
    private final String host;
    private final Path jar;
    private final int port;
    private final Duration startupTimeout;
    private final S3Credentials credentials;
    /** The PKCS12 key store of the HTTPS endpoint, or null for plain HTTP. */
    private final Path tlsKeyStore;
    private final String tlsKeyStorePassword;

    private State state = State.NEW;
    private Process process;
    private Thread shutdownHook;

    private EmbeddedS3Server(Builder builder) {
        this.dataDirectory = builder.dataDirectory.toAbsolutePath();
        this.host = builder.host;
        this.jar = builder.jar != null ? builder.jar : S3ProxyJar.locate();
        this.port = FreePorts.orPick(builder.port);
        this.startupTimeout = builder.startupTimeout;
        this.credentials = builder.credentials != null ? builder.credentials : S3Credentials.random();
        this.tlsKeyStore = builder.tlsKeyStore;
        this.tlsKeyStorePassword = builder.tlsKeyStorePassword;
    }

    /** Starts describing a server whose data lives under {@code dataDirectory} (created if missing). */
    public static Builder builder(Path dataDirectory) {
        return new Builder(dataDirectory);
    }

    /**
     * Starts the child process and returns once the endpoint answers HTTP. Fails with the tail of the child's output
     * if it exits or does not answer within the start-up timeout. An instance starts once.
     */
    public synchronized EmbeddedS3Server start() {
        if (state != State.NEW) {
            throw new IllegalStateException("this S3 server was already started (state " + state + "); build a new one to restart");
        }
        long startedAt = System.nanoTime();
        Path bucketsDirectory = dataDirectory.resolve("buckets");
        Path propertiesFile = dataDirectory.resolve("s3proxy.properties");
        createDirectory(bucketsDirectory);
        writeOwnerOnly(propertiesFile, s3ProxyProperties(bucketsDirectory));
        try {
            process = launch(propertiesFile);
            shutdownHook = new Thread(process::destroyForcibly, "embedded-s3-server-shutdown-" + port);
            Runtime.getRuntime().addShutdownHook(shutdownHook);
            awaitEndpoint();
        } catch (RuntimeException e) {
            stopProcess();
            state = State.CLOSED;
            throw e;
        } finally {
            // S3Proxy reads its configuration once at start; the secret should not stay on disk.
            deleteQuietly(propertiesFile);
        }
        state = State.RUNNING;
        LOG.log(Level.INFO, String.format(
                "Embedded S3 server (S3Proxy, pid %d) listening on %s, buckets in %s, started in %d ms", process.pid(),
                endpoint(), bucketsDirectory, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedAt)));
        return this;
    }

    /** The S3 endpoint, e.g. {@code http://127.0.0.1:40123} ({@code https} when built with TLS). */
    public URI endpoint() {
        return URI.create((tlsKeyStore == null ? "http://" : "https://") + host + ":" + port);
    }

    public S3Credentials credentials() {
        return credentials;
    }

    public String region() {
        return REGION;
    }

    public Path dataDirectory() {
        return dataDirectory;
    }

    /** Stops the child process (politely, then forcibly). Calling it again does nothing. Data stays on disk. */
    @Override
    public synchronized void close() {
        if (state == State.RUNNING) {
            stopProcess();
            LOG.log(Level.INFO, String.format("Embedded S3 server on %s stopped", endpoint()));
        }
        state = State.CLOSED;
    }

    @Override
    public String toString() {
        return "EmbeddedS3Server[" + endpoint() + ", data=" + dataDirectory + ", " + state + "]";
    }

    private Properties s3ProxyProperties(Path bucketsDirectory) {
        Properties properties = new Properties();
        if (tlsKeyStore == null) {
            properties.setProperty("s3proxy.endpoint", endpoint().toString());
        } else {
            properties.setProperty("s3proxy.secure-endpoint", endpoint().toString());
            properties.setProperty("s3proxy.keystore-path", tlsKeyStore.toString());
            properties.setProperty("s3proxy.keystore-password", tlsKeyStorePassword);
        }
        properties.setProperty("s3proxy.authorization", "aws-v2-or-v4");
        properties.setProperty("s3proxy.identity", credentials.accessKey());
        properties.setProperty("s3proxy.credential", credentials.secretKey());
        properties.setProperty("jclouds.provider", "filesystem");
        properties.setProperty("jclouds.filesystem.basedir", bucketsDirectory.toString());
        // The filesystem backend has no credentials of its own, but jclouds wants the keys present.
        properties.setProperty("jclouds.identity", "local");
        properties.setProperty("jclouds.credential", "local");
        return properties;
    }

    private Process launch(Path propertiesFile) {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> command = new ArrayList<>();
        command.add(java.toString());
        command.addAll(CHILD_JVM_OPTIONS);
        command.addAll(List.of("-jar", jar.toString(), "--properties", propertiesFile.toString()));
        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(dataDirectory.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(outputLog().toFile()));
        try {
            return builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException("could not launch S3Proxy (" + String.join(" ", command) + ")", e);
        }
    }

    /** Probes the endpoint until it answers, waiting on the child's exit between probes so a crash is seen at once. */
    private void awaitEndpoint() {
        HttpClient http = HttpClient.newBuilder().connectTimeout(PROBE_TIMEOUT).sslContext(probeTls()).build();
        HttpRequest probe = HttpRequest.newBuilder(endpoint()).timeout(PROBE_TIMEOUT).GET().build();
        long deadline = System.nanoTime() + startupTimeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (answers(http, probe)) {
                return;
            }
            if (exitsWithin(PROBE_INTERVAL)) {
                throw new IllegalStateException("S3Proxy exited with status " + process.exitValue() + " before its endpoint "
                        + endpoint() + " answered. Last output (" + outputLog() + "):\n" + outputTail());
            }
        }
        throw new IllegalStateException("S3Proxy did not answer on " + endpoint() + " within " + startupTimeout
                + ". Last output (" + outputLog() + "):\n" + outputTail());
    }

    /** For an HTTPS endpoint, a TLS context that trusts the server's own certificate (from its key store). */
    private SSLContext probeTls() {
        try {
            if (tlsKeyStore == null) {
                return SSLContext.getDefault();
            }
            KeyStore keys = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(tlsKeyStore)) {
                keys.load(in, tlsKeyStorePassword.toCharArray());
            }
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(keys);
            SSLContext tls = SSLContext.getInstance("TLS");
            tls.init(null, trust.getTrustManagers(), null);
            return tls;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot read the TLS key store " + tlsKeyStore + ": " + e.getMessage(), e);
        }
    }

    private static boolean answers(HttpClient http, HttpRequest probe) {
        try {
            // Any HTTP status (S3Proxy answers an anonymous GET with 403) means the server is up.
            http.send(probe, HttpResponse.BodyHandlers.discarding());
            return true;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for S3Proxy to start", e);
        }
    }

    private boolean exitsWithin(Duration timeout) {
        try {
            process.onExit().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            throw new IllegalStateException("could not watch the S3Proxy process", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for S3Proxy to start", e);
        }
    }

    private void stopProcess() {
        if (shutdownHook != null) {
            removeShutdownHook(shutdownHook);
            shutdownHook = null;
        }
        if (process == null || !process.isAlive()) {
            return;
        }
        process.destroy();
        if (!exitsWithin(STOP_TIMEOUT)) {
            LOG.log(Level.WARNING, String.format(
                    "S3Proxy (pid %d) did not stop within %s; killing it", process.pid(), STOP_TIMEOUT));
            process.destroyForcibly();
            if (!exitsWithin(STOP_TIMEOUT)) {
                LOG.log(Level.ERROR, String.format(
                        "S3Proxy (pid %d) is still running after being killed", process.pid()));
            }
        }
    }

    private static void removeShutdownHook(Thread hook) {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // The JVM is already shutting down and will run the hook itself.
        }
    }

    private Path outputLog() {
        return dataDirectory.resolve("s3proxy.log");
    }

    private String outputTail() {
        try {
            List<String> lines = Files.readAllLines(outputLog(), StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - OUTPUT_TAIL_LINES), lines.size()));
        } catch (IOException e) {
            return "(could not read " + outputLog() + ": " + e.getMessage() + ")";
        }
    }

    private static void writeOwnerOnly(Path file, Properties properties) {
        try {
            Files.deleteIfExists(file);
            if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
                Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            }
            try (Writer writer = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
                properties.store(writer, "generated by EmbeddedS3Server; deleted once S3Proxy has started");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not write S3Proxy configuration " + file, e);
        }
    }

    private static void createDirectory(Path directory) {
        try {
            Files.createDirectories(directory);
        } catch (IOException e) {
            throw new UncheckedIOException("could not create S3 data directory " + directory, e);
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            LOG.log(Level.WARNING, String.format(
                    "Could not delete %s (it holds the embedded S3 server's generated secret): %s", file, e.getMessage()));
        }
    }

    /** Describes an embedded S3 server; every setting is optional except the data directory. */
    public static final class Builder {

        private final Path dataDirectory;
        private String host = LOOPBACK;
        private Path jar;
        private int port;
        private Duration startupTimeout = Duration.ofSeconds(60);
        private S3Credentials credentials;
        private Path tlsKeyStore;
        private String tlsKeyStorePassword;

        private Builder(Path dataDirectory) {
            this.dataDirectory = Objects.requireNonNull(dataDirectory, "dataDirectory");
        }

        /**
         * The address to listen on (default 127.0.0.1): another local address lets clients in a network namespace
         * of this machine reach it, as the partition fault test does.
         */
        public Builder host(String address) {
            this.host = Objects.requireNonNull(address, "address");
            return this;
        }

        /** The S3Proxy jar-with-dependencies; by default found by {@link S3ProxyJar#locate()}. */
        public Builder jar(Path jar) {
            this.jar = Objects.requireNonNull(jar, "jar");
            return this;
        }

        /**
         * The credentials clients must sign with; by default fresh random ones. Pass the credentials of an earlier
         * server on the same data directory to restart it for clients that already hold them.
         */
        public Builder credentials(S3Credentials credentials) {
            this.credentials = Objects.requireNonNull(credentials, "credentials");
            return this;
        }

        /** The HTTP port; 0 (the default) picks a free one. */
        public Builder port(int port) {
            this.port = port;
            return this;
        }

        /** How long to wait for the endpoint to answer before giving up (default 60 s). */
        public Builder startupTimeout(Duration timeout) {
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("startupTimeout must be positive, got " + timeout);
            }
            this.startupTimeout = timeout;
            return this;
        }

        /** Serves HTTPS instead of HTTP, with the certificate and key of a PKCS12 key store. */
        public Builder tls(Path keyStore, String keyStorePassword) {
            this.tlsKeyStore = Objects.requireNonNull(keyStore, "keyStore").toAbsolutePath();
            this.tlsKeyStorePassword = Objects.requireNonNull(keyStorePassword, "keyStorePassword");
            return this;
        }

        public EmbeddedS3Server build() {
            return new EmbeddedS3Server(this);
        }
    }
}
