package org.diffusionworker.client;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * The {@code submit} command's work: sends one request (or a cancel) as any producer in another service would, waits
 * up to {@code patience} for the request's terminal event and reads it with a {@link TerminalEvent}. Notes go to
 * {@code err}; the result's URLs, through the reader, to its {@code out}.
 *
 * @param topics requests, events and control topics
 */
public record RequestClient(ObjectMapper json, String servers, Topics topics, Duration patience, TerminalEvent reader,
        PrintWriter err) {

    /** The worker's topics. */
    public record Topics(String requests, String events, String control) {}

    /** Sends {@code request} under {@code id}; the exit code of its terminal event. */
    public int submit(String id, ObjectNode request, String timeout) throws Exception {
        try (KafkaConsumer<String, String> events = KafkaClients.consumer(servers);
             KafkaProducer<String, String> producer = KafkaClients.producer(servers)) {
            RequestEvents.positionAtEnd(events, topics.events(), servers, patience);
            producer.send(new ProducerRecord<>(topics.requests(), id, json.writeValueAsString(request)))
                    .get(30, TimeUnit.SECONDS);
            err.printf("sent request %s to %s on %s; waiting up to %s for its event on %s%n", id, topics.requests(),
                    servers, timeout, topics.events());
            err.flush();
            return reader.answer(RequestEvents.awaitTerminal(json, events, id, patience, err), id);
        }
    }

    /** Sends a cancel of {@code id}; with {@code follow} waits for that request's terminal event. */
    public int cancel(String id, boolean follow) throws Exception {
        ObjectNode record = json.createObjectNode().put("schemaVersion", 1).put("action", "cancel")
                .put("requestId", id);
        try (KafkaConsumer<String, String> events = KafkaClients.consumer(servers);
             KafkaProducer<String, String> producer = KafkaClients.producer(servers)) {
            if (follow) {
                RequestEvents.positionAtEnd(events, topics.events(), servers, patience);
            }
            producer.send(new ProducerRecord<>(topics.control(), id, json.writeValueAsString(record)))
                    .get(30, TimeUnit.SECONDS);
            err.printf("sent cancel of %s to %s on %s%n", id, topics.control(), servers);
            err.flush();
            if (!follow) {
                return 0;
            }
            return reader.answer(RequestEvents.awaitTerminal(json, events, id, patience, err), id);
        }
    }
}
