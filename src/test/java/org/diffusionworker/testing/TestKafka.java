package org.diffusionworker.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** Plain Kafka clients for tests: a producer of requests and a reader of events, as another service would have. */
public final class TestKafka implements AutoCloseable {

    public static final Duration WAIT = Duration.ofSeconds(90);
    public static final ObjectMapper JSON = new ObjectMapper();
    static final java.util.Set<String> TERMINAL = java.util.Set.of("COMPLETED", "FAILED", "CANCELED");

    /** One event as it came: key, CloudEvents headers and JSON body. */
    public record Event(String key, Map<String, String> headers, JsonNode body, long receivedNanos) {
        public String status() {
            return body.path("status").asText();
        }

        public boolean terminal() {
            return TERMINAL.contains(status());
        }

        public String type() {
            return headers.get("ce_type");
        }

        public String errorCode() {
            return body.path("error").path("code").asText();
        }
    }

    private final KafkaProducer<String, byte[]> producer;
    private final KafkaConsumer<String, String> events;
    private final Map<String, List<Event>> received = new HashMap<>();
    private final List<Event> all = new ArrayList<>();

    public TestKafka(String bootstrapServers) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.LINGER_MS_CONFIG, "0");
        producer = new KafkaProducer<>(p);
        events = consumer(bootstrapServers, StringDeserializer.class);
        List<TopicPartition> partitions = events.partitionsFor(WorkerTestConfig.EVENTS, WAIT).stream()
                .map(i -> new TopicPartition(i.topic(), i.partition())).toList();
        events.assign(partitions);
        events.seekToBeginning(partitions);
    }

    public static <V> KafkaConsumer<String, V> consumer(String bootstrapServers, Class<?> valueDeserializer) {
        Properties c = new Properties();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, valueDeserializer.getName());
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        // As every consumer of the events must: terminal events are written in transactions.
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        return new KafkaConsumer<>(c);
    }

    public void send(String key, String json) {
        send(key, json.getBytes(StandardCharsets.UTF_8));
    }

    public void send(String key, byte[] value) {
        sendAt(key, value);
    }

    /** Sends a record and returns its offset. */
    public long sendAt(String key, byte[] value) {
        return sendTo(WorkerTestConfig.REQUESTS, key, value);
    }

    /** Sends a request record with these headers (a producer's {@code traceparent}, say). */
    public void send(String key, String json, Map<String, String> headers) {
        ProducerRecord<String, byte[]> record = new ProducerRecord<>(WorkerTestConfig.REQUESTS, key,
                json.getBytes(StandardCharsets.UTF_8));
        headers.forEach((name, value) -> record.headers().add(name, value.getBytes(StandardCharsets.UTF_8)));
        try {
            producer.send(record).get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("could not send " + key, e);
        }
    }

    /** Sends a record to another requests topic and returns its offset. */
    public long sendTo(String topic, String key, byte[] value) {
        try {
            return producer.send(new ProducerRecord<>(topic, key, value)).get(30, TimeUnit.SECONDS).offset();
        } catch (Exception e) {
            throw new IllegalStateException("could not send " + key, e);
        }
    }

    /** Every event received so far, in order. */
    public List<Event> all() {
        return List.copyOf(all);
    }

    /** Waits until every id has at least {@code n} events; returns the latest of each. */
    public Map<String, Event> await(Collection<String> ids, int n) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (ids.stream().anyMatch(id -> received.getOrDefault(id, List.of()).size() < n)) {
            if (System.nanoTime() > deadline) {
                List<String> missing = ids.stream().filter(id -> received.getOrDefault(id, List.of()).size() < n).toList();
                throw new AssertionError("no event within " + WAIT + " for " + missing);
            }
            poll();
        }
        Map<String, Event> latest = new HashMap<>();
        ids.forEach(id -> {
            List<Event> all = received.get(id);
            latest.put(id, all.get(n - 1));
        });
        return latest;
    }

    public Event await(String id) {
        return await(List.of(id), 1).get(id);
    }

    public Event awaitNth(String id, int n) {
        return await(List.of(id), n).get(id);
    }

    /** The sum of every series of {@code name} in a Prometheus text page at {@code metrics} (0 when absent). */
    public static double metric(java.net.URL metrics, String name) throws Exception {
        String text = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(metrics.toURI())
                .build(), java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^" + java.util.regex.Pattern.quote(name)
                + "(\\{[^}]*\\})? ([0-9.eE+-]+)$").matcher(text);
        double sum = 0;
        while (m.find()) {
            sum += Double.parseDouble(m.group(2));
        }
        return sum;
    }

    /** Sends a control record (a cancel, or anything else) keyed by {@code key}. */
    public void sendControl(String key, byte[] value) {
        sendTo(WorkerTestConfig.CONTROL, key, value);
    }

    /** Sends {@code {"schemaVersion":1,"action":"cancel","requestId":id}}; returns when Kafka acknowledged it. */
    public void cancel(String id) {
        sendControl(id, JSON.createObjectNode().put("schemaVersion", 1).put("action", "cancel").put("requestId", id)
                .toString().getBytes(StandardCharsets.UTF_8));
    }

    /** Waits for the terminal event of {@code id} (COMPLETED, FAILED or CANCELED) and returns it. */
    public Event awaitTerminal(String id) {
        return awaitTerminal(id, WAIT);
    }

    /** As {@link #awaitTerminal(String)}, waiting up to {@code wait} (a long run on a busy machine). */
    public Event awaitTerminal(String id, Duration wait) {
        long deadline = System.nanoTime() + wait.toNanos();
        while (true) {
            for (Event e : received.getOrDefault(id, List.of())) {
                if (e.terminal()) {
                    return e;
                }
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no terminal event within " + wait + " for " + id + ": " + eventsOf(id));
            }
            poll();
        }
    }

    /** Waits for the first event of {@code id} with {@code status} and returns it. */
    public Event awaitStatus(String id, String status) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            for (Event e : received.getOrDefault(id, List.of())) {
                if (e.status().equals(status)) {
                    return e;
                }
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no " + status + " event within " + WAIT + " for " + id + ": " + eventsOf(id));
            }
            poll();
        }
    }

    /** One poll of the events topic (blocks in the client up to 200 ms, until records arrive): paces wait loops. */
    public void poll() {
        for (ConsumerRecord<String, String> r : events.poll(Duration.ofMillis(200))) {
            Event e = event(r);
            received.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(e);
            all.add(e);
        }
    }

    public int eventsFor(String id) {
        return received.getOrDefault(id, List.of()).size();
    }

    /** The events of one request received so far, in order (empty when none). */
    public List<Event> eventsOf(String id) {
        return List.copyOf(received.getOrDefault(id, List.of()));
    }

    /** Polls until every id has an event or {@code deadline} ({@link System#nanoTime}) passes. */
    public void awaitAnswered(Collection<String> ids, long deadline) {
        while (ids.stream().anyMatch(id -> eventsFor(id) == 0) && System.nanoTime() < deadline) {
            poll();
        }
    }

    /** A couple of seconds more of polling, so that a duplicate answer that comes late is counted too. */
    public void pollForLateDuplicates() {
        for (int i = 0; i < 10; i++) {
            poll();
        }
    }

    /**
     * How the answers to {@code ids} were delivered, from the events received so far.
     *
     * @param events every event of those ids
     * @param duplicates events beyond the first of an id (delivery is at-least-once)
     * @param lost ids without any event
     * @param lastEvents the last event of each id that has one, in the order of {@code ids}
     */
    public record Delivery(int events, int duplicates, int lost, List<Event> lastEvents) {}

    public Delivery deliveryOf(Collection<String> ids) {
        int events = 0;
        int duplicates = 0;
        int lost = 0;
        List<Event> last = new ArrayList<>();
        for (String id : ids) {
            List<Event> of = received.getOrDefault(id, List.of());
            events += of.size();
            duplicates += Math.max(0, of.size() - 1);
            if (of.isEmpty()) {
                lost++;
            } else {
                last.add(of.get(of.size() - 1));
            }
        }
        return new Delivery(events, duplicates, lost, List.copyOf(last));
    }

    private static Event event(ConsumerRecord<String, String> r) {
        Map<String, String> headers = new HashMap<>();
        for (Header h : r.headers()) {
            headers.put(h.key(), new String(h.value(), StandardCharsets.UTF_8));
        }
        try {
            return new Event(r.key(), headers, JSON.readTree(r.value()), System.nanoTime());
        } catch (IOException e) {
            throw new UncheckedIOException("event of " + r.key() + " is not JSON", e);
        }
    }

    public static KafkaConsumer<String, byte[]> deadLetterReader(String bootstrapServers) {
        KafkaConsumer<String, byte[]> c = consumer(bootstrapServers, ByteArrayDeserializer.class);
        List<TopicPartition> partitions = c.partitionsFor(WorkerTestConfig.DEAD_LETTERS, WAIT).stream()
                .map(i -> new TopicPartition(i.topic(), i.partition())).toList();
        c.assign(partitions);
        c.seekToBeginning(partitions);
        return c;
    }

    @Override
    public void close() {
        producer.close();
        events.close();
    }
}
