package org.diffusionworker.messaging;

import java.net.URI;
import java.time.Duration;
import java.util.Objects;

/**
 * What the Kafka adapter needs of the configuration, handed over by the application shell (which reads and validates
 * it) when it opens the {@link WorkerConnection}.
 *
 * @param eventsTopic       the topic of events (named in the spans of their publishing)
 * @param controlTopic      the topic of cancels
 * @param cancelRetention   how far back a starting worker reads the control topic
 * @param maxPayloadBytes   request records larger than this are refused
 * @param eventSource       the CloudEvents {@code source} of every event
 * @param deadLetterEnabled whether undecodable request records are copied to the dead-letter topic
 * @param maxTakenBytes     bytes of request records taken and not yet answered beyond which fetching pauses
 */
public record MessagingSettings(String eventsTopic, String controlTopic, Duration cancelRetention, int maxPayloadBytes,
        URI eventSource, boolean deadLetterEnabled, int maxTakenBytes) {

    public MessagingSettings {
        Objects.requireNonNull(eventsTopic, "eventsTopic");
        Objects.requireNonNull(controlTopic, "controlTopic");
        Objects.requireNonNull(cancelRetention, "cancelRetention");
        Objects.requireNonNull(eventSource, "eventSource");
    }
}
