package org.diffusionworker.cli;

import org.eclipse.microprofile.config.ConfigProvider;
import picocli.CommandLine.Option;

/** Where the worker's topics are (a picocli mixin of {@code submit} and {@code loadgen}): brokers and topics. */
final class KafkaOptions {

    static final String DEFAULT_SERVERS = "localhost:9092";

    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT",
            description = "Kafka bootstrap servers. Default: the kafka.bootstrap.servers setting (localhost:9092).")
    String bootstrapServers;

    @Option(names = "--requests-topic", defaultValue = "generation-requests", description = "Default: ${DEFAULT-VALUE}.")
    String requestsTopic;

    @Option(names = "--events-topic", defaultValue = "generation-events", description = "Default: ${DEFAULT-VALUE}.")
    String eventsTopic;

    /** {@code --bootstrap-servers}, else the application's {@code kafka.bootstrap.servers}, else localhost:9092. */
    String servers() {
        if (bootstrapServers != null) {
            return bootstrapServers;
        }
        try {
            return ConfigProvider.getConfig().getOptionalValue("kafka.bootstrap.servers", String.class)
                    .orElse(DEFAULT_SERVERS);
        } catch (IllegalStateException noConfiguration) {
            return DEFAULT_SERVERS;
        }
    }
}
