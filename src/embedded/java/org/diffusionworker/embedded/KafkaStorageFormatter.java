package org.diffusionworker.embedded;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.metadata.storage.Formatter;

import kafka.server.KafkaConfig;

/**
 * Formats a KRaft log directory the way {@code kafka-storage.sh format} does, but only when it has never been
 * formatted: a directory that already holds {@code meta.properties} keeps its cluster id, topics and offsets.
 */
final class KafkaStorageFormatter {

    private static final System.Logger LOG = System.getLogger(KafkaStorageFormatter.class.getName());
    private static final String META_PROPERTIES = "meta.properties";

    private KafkaStorageFormatter() {
    }

    /** Returns true when the directory was formatted now, false when it was already formatted. */
    static boolean formatIfNeeded(KafkaConfig config, int nodeId, String controllerListenerName) {
        Path logDirectory = Path.of(config.metadataLogDir());
        if (Files.exists(logDirectory.resolve(META_PROPERTIES))) {
            LOG.log(Level.DEBUG, () -> String.format(
                    "Kafka storage in %s is already formatted; keeping it", logDirectory));
            return false;
        }
        // The Formatter reports progress on a PrintStream; collect it for the log instead of stdout.
        ByteArrayOutputStream report = new ByteArrayOutputStream();
        Formatter formatter = new Formatter()
                .setPrintStream(new PrintStream(report, true, StandardCharsets.UTF_8))
                .setClusterId(Uuid.randomUuid().toString())
                .setNodeId(nodeId)
                .setDirectories(List.of(logDirectory.toString()))
                .setMetadataLogDirectory(logDirectory.toString())
                .setControllerListenerName(controllerListenerName);
        try {
            formatter.run();
        } catch (Exception e) {
            throw new IllegalStateException("could not format Kafka storage in " + logDirectory + ": " + e.getMessage(), e);
        }
        LOG.log(Level.DEBUG, () -> String.format(
                "Formatted Kafka storage: %s", report.toString(StandardCharsets.UTF_8).strip()));
        return true;
    }
}
