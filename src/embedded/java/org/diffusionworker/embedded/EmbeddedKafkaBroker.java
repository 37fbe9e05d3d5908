package org.diffusionworker.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.utils.Time;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;

/**
 * A real single-node Apache Kafka broker in KRaft mode, running in this JVM as combined broker and controller, for
 * tests and the local demo. It listens on 127.0.0.1 only (unless built with another address) and keeps its data in a directory the caller owns: starting
 * a new instance on the same directory finds the topics and committed offsets of the previous one.
 *
 * <pre>{@code
 * try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.builder(dir).build().start()) {
 *     kafka.createTopics("requests");
 *     ... kafka.bootstrapServers() ...
 * }
 * }</pre>
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(EmbeddedKafkaBroker.class.getName());

    private static final int NODE_ID = 1;
    private static final String BROKER_LISTENER = "PLAINTEXT";
    private static final String CONTROLLER_LISTENER = "CONTROLLER";
    /** The optional client listener with TLS and SCRAM-SHA-512, as production clusters run it. */
    private static final String SECURE_LISTENER = "SECURE";
    private static final String SCRAM_MECHANISM = "SCRAM-SHA-512";
    private static final String LOOPBACK = "127.0.0.1";
    private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(30);

    private enum State { NEW, RUNNING, CLOSED }

    private final Path dataDirectory;
    /** The address every listener binds to and advertises. */
    private final String host;
    private final int brokerPort;
    private final int controllerPort;
    private final Map<String, String> extraProperties;
    /** The secure listener's port, or 0 when there is none. */
    private final int securePort;
    private final Path secureKeyStore;
    private final String secureKeyStorePassword;

    private State state = State.NEW;
    private KafkaRaftServer server;

    private EmbeddedKafkaBroker(Builder builder) {
        this.dataDirectory = builder.dataDirectory.toAbsolutePath();
        this.host = builder.host;
        this.brokerPort = FreePorts.orPick(builder.brokerPort);
        this.controllerPort = FreePorts.orPick(builder.controllerPort);
        this.extraProperties = Map.copyOf(builder.extraProperties);
        this.secureKeyStore = builder.secureKeyStore;
        this.secureKeyStorePassword = builder.secureKeyStorePassword;
        this.securePort = secureKeyStore == null ? 0 : FreePorts.orPick(builder.securePort);
    }

    /** Starts describing a broker whose log directory is {@code dataDirectory} (created if missing). */
    public static Builder builder(Path dataDirectory) {
        return new Builder(dataDirectory);
    }

    /**
     * Formats the data directory if it has never been formatted, then starts the broker and returns when it accepts
     * clients. An instance starts once; to restart, build a new one on the same directory.
     */
    public synchronized EmbeddedKafkaBroker start() {
        if (state != State.NEW) {
            throw new IllegalStateException("this broker was already started (state " + state + "); build a new one to restart");
        }
        long startedAt = System.nanoTime();
        createDirectory(dataDirectory);
        KafkaConfig config = new KafkaConfig(serverProperties(), false);
        boolean formatted = KafkaStorageFormatter.formatIfNeeded(config, NODE_ID, CONTROLLER_LISTENER);
        KafkaRaftServer starting = null;
        try {
            // The constructor already reads the formatted log directory; both steps can fail on a bad one.
            starting = new KafkaRaftServer(config, Time.SYSTEM);
            starting.startup();
        } catch (RuntimeException e) {
            if (starting != null) {
                stopQuietly(starting);
            }
            state = State.CLOSED;
            throw new IllegalStateException("embedded Kafka broker failed to start on " + bootstrapServers()
                    + " with data in " + dataDirectory + ": " + e.getMessage(), e);
        }
        server = starting;
        state = State.RUNNING;
        LOG.log(Level.INFO, String.format(
                "Embedded Kafka broker started on %s (data in %s, %s) in %d ms", bootstrapServers(), dataDirectory,
                formatted ? "newly formatted" : "existing storage", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedAt)));
        return this;
    }

    /** The {@code bootstrap.servers} value for clients. */
    public String bootstrapServers() {
        return host + ":" + brokerPort;
    }

    /**
     * The {@code bootstrap.servers} of the secure listener (TLS with SCRAM-SHA-512 authentication, security protocol
     * {@code SASL_SSL}); only when the builder asked for one.
     */
    public String secureBootstrapServers() {
        if (securePort == 0) {
            throw new IllegalStateException("this broker has no secure listener (see Builder.secureListener)");
        }
        return host + ":" + securePort;
    }

    /** Creates or replaces a SCRAM-SHA-512 user that clients of the secure listener can authenticate as. */
    public void upsertScramUser(String user, String password) {
        requireRunning();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers()))) {
            admin.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion(user,
                    new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 8192), password)))
                    .all().get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("could not create SCRAM user " + user + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating SCRAM user " + user, e);
        }
    }

    public int brokerPort() {
        return brokerPort;
    }

    public int controllerPort() {
        return controllerPort;
    }

    public Path dataDirectory() {
        return dataDirectory;
    }

    /** Creates topics with one partition each; topics that already exist are left as they are. */
    public void createTopics(String... topicNames) {
        createTopics(1, topicNames);
    }

    /** Creates topics with the given partition count each; topics that already exist are left as they are. */
    public void createTopics(int partitions, String... topicNames) {
        requireRunning();
        // Replication factor 1: there is one broker.
        List<NewTopic> topics = Arrays.stream(topicNames).map(name -> new NewTopic(name, partitions, (short) 1)).toList();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers()))) {
            for (Map.Entry<String, KafkaFuture<Void>> created : admin.createTopics(topics).values().entrySet()) {
                awaitTopicCreation(created.getKey(), created.getValue());
            }
        }
    }

    /** Shuts the broker down cleanly (its data stays on disk). Calling it again does nothing. */
    @Override
    public synchronized void close() {
        if (state == State.RUNNING) {
            stopQuietly(server);
            server = null;
            LOG.log(Level.INFO, String.format("Embedded Kafka broker on %s stopped", bootstrapServers()));
        }
        state = State.CLOSED;
    }

    @Override
    public String toString() {
        return "EmbeddedKafkaBroker[" + bootstrapServers() + ", data=" + dataDirectory + ", " + state + "]";
    }

    private Properties serverProperties() {
        Properties properties = new Properties();
        properties.put("process.roles", "broker,controller");
        properties.put("node.id", String.valueOf(NODE_ID));
        // A static voter set of one: this node is the whole quorum.
        properties.put("controller.quorum.voters", NODE_ID + "@" + host + ":" + controllerPort);
        properties.put("controller.listener.names", CONTROLLER_LISTENER);
        properties.put("inter.broker.listener.name", BROKER_LISTENER);
        String listeners = BROKER_LISTENER + "://" + host + ":" + brokerPort;
        String protocols = BROKER_LISTENER + ":PLAINTEXT," + CONTROLLER_LISTENER + ":PLAINTEXT";
        if (securePort != 0) {
            listeners += "," + SECURE_LISTENER + "://" + host + ":" + securePort;
            protocols += "," + SECURE_LISTENER + ":SASL_SSL";
            String prefix = "listener.name." + SECURE_LISTENER.toLowerCase(Locale.ROOT) + ".";
            properties.put("sasl.enabled.mechanisms", SCRAM_MECHANISM);
            properties.put(prefix + SCRAM_MECHANISM.toLowerCase(Locale.ROOT) + ".sasl.jaas.config",
                    "org.apache.kafka.common.security.scram.ScramLoginModule required;");
            properties.put(prefix + "ssl.keystore.type", "PKCS12");
            properties.put(prefix + "ssl.keystore.location", secureKeyStore.toString());
            properties.put(prefix + "ssl.keystore.password", secureKeyStorePassword);
        }
        properties.put("listeners", listeners + "," + CONTROLLER_LISTENER + "://" + host + ":" + controllerPort);
        properties.put("advertised.listeners", listeners);
        properties.put("listener.security.protocol.map", protocols);
        properties.put("log.dirs", dataDirectory.toString());
        // Single node: internal topics cannot have more replicas than there are brokers.
        properties.put("offsets.topic.replication.factor", "1");
        properties.put("transaction.state.log.replication.factor", "1");
        properties.put("transaction.state.log.min.isr", "1");
        properties.put("share.coordinator.state.topic.replication.factor", "1");
        properties.put("share.coordinator.state.topic.min.isr", "1");
        properties.put("min.insync.replicas", "1");
        // A consumer group's first member should not wait 3 s for others that are not coming.
        properties.put("group.initial.rebalance.delay.ms", "0");
        // 50 partitions for __consumer_offsets is for clusters; one keeps the first group join fast.
        properties.put("offsets.topic.num.partitions", "1");
        properties.putAll(extraProperties);
        return properties;
    }

    private void awaitTopicCreation(String topic, KafkaFuture<Void> creation) {
        try {
            creation.get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw new IllegalStateException("could not create topic " + topic + " on " + bootstrapServers() + ": " + e.getCause().getMessage(), e.getCause());
            }
        } catch (TimeoutException e) {
            throw new IllegalStateException("creating topic " + topic + " on " + bootstrapServers() + " did not finish within " + ADMIN_TIMEOUT, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topic " + topic, e);
        }
    }

    private void requireRunning() {
        if (state != State.RUNNING) {
            throw new IllegalStateException("the embedded Kafka broker is not running (state " + state + ")");
        }
    }

    private static void stopQuietly(KafkaRaftServer server) {
        try {
            server.shutdown();
            server.awaitShutdown();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "Embedded Kafka broker did not shut down cleanly");
        }
    }

    private static void createDirectory(Path directory) {
        try {
            Files.createDirectories(directory);
        } catch (IOException e) {
            throw new UncheckedIOException("could not create Kafka data directory " + directory, e);
        }
    }

    /** Describes an embedded broker; every setting is optional except the data directory. */
    public static final class Builder {

        private final Path dataDirectory;
        private String host = LOOPBACK;
        private int brokerPort;
        private int controllerPort;
        private final Map<String, String> extraProperties = new LinkedHashMap<>();
        private int securePort;
        private Path secureKeyStore;
        private String secureKeyStorePassword;

        private Builder(Path dataDirectory) {
            this.dataDirectory = Objects.requireNonNull(dataDirectory, "dataDirectory");
        }

        /**
         * The address to listen on and advertise (default 127.0.0.1): another local address lets clients in a network
         * namespace of this machine reach it, as the partition fault test does. Ports picked free are checked on
         * the loopback address.
         */
        public Builder host(String address) {
            this.host = Objects.requireNonNull(address, "address");
            return this;
        }

        /** The client port; 0 (the default) picks a free one. */
        public Builder brokerPort(int port) {
            this.brokerPort = port;
            return this;
        }

        /** The KRaft controller port; 0 (the default) picks a free one. */
        public Builder controllerPort(int port) {
            this.controllerPort = port;
            return this;
        }

        /** Sets or overrides one broker configuration property (see Kafka's broker configuration reference). */
        public Builder property(String key, String value) {
            extraProperties.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
            return this;
        }

        /**
         * Adds a client listener with TLS and SCRAM-SHA-512 (security protocol {@code SASL_SSL}) beside the plaintext
         * one, its server certificate from a PKCS12 key store; users come from {@link #upsertScramUser}.
         *
         * @param port 0 picks a free one
         */
        public Builder secureListener(int port, Path keyStore, String keyStorePassword) {
            this.securePort = port;
            this.secureKeyStore = Objects.requireNonNull(keyStore, "keyStore").toAbsolutePath();
            this.secureKeyStorePassword = Objects.requireNonNull(keyStorePassword, "keyStorePassword");
            return this;
        }

        public EmbeddedKafkaBroker build() {
            return new EmbeddedKafkaBroker(this);
        }
    }
}
