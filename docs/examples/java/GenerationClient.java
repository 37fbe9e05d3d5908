import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Sends one generation request with a plain {@link KafkaProducer} and waits for its event with a {@link KafkaConsumer}.
 * Needs only kafka-clients on the class path; runs as a single source file (Java 17):
 *
 * <pre>
 * java -cp kafka-clients-4.1.2.jar:slf4j-api.jar docs/examples/java/GenerationClient.java \
 *      --bootstrap-servers localhost:9092 --label sneaker --count 4
 * </pre>
 *
 * Prints the event's JSON on stdout; exits 0 when the request COMPLETED, 3 when it FAILED, 4 when it was CANCELED, 1
 * on a timeout. {@code --follow true} asks for STARTED and PROGRESS events and prints them on stderr as they come;
 * {@code --cancel-after-started true} then takes the request back as soon as it started (a cancel record on the
 * control topic) and waits for its CANCELED event. In a service, build the request with your JSON library instead of
 * the string below, and read events in a consumer group of your own. The contract: docs/messages.md.
 */
public class GenerationClient {

    static final String TYPE = "org.diffusionworker.generation.";

    public static void main(String[] args) throws Exception {
        Map<String, String> o = new java.util.HashMap<>(Map.of("--bootstrap-servers", "localhost:9092",
                "--requests-topic", "generation-requests", "--events-topic", "generation-events",
                "--request-id", "java-" + UUID.randomUUID().toString().substring(0, 12), "--label", "sneaker",
                "--count", "4", "--timeout", "300"));
        o.put("--control-topic", "generation-control");
        for (int i = 0; i + 1 < args.length; i += 2) {
            o.put(args[i], args[i + 1]);
        }
        String id = o.get("--request-id");
        boolean cancelAfterStarted = Boolean.parseBoolean(o.get("--cancel-after-started"));
        boolean follow = cancelAfterStarted || Boolean.parseBoolean(o.get("--follow"));
        // Only requestId is required; labels are plain strings (escape them properly with a JSON library).
        String request = "{\"schemaVersion\":1,\"requestId\":\"" + id + "\",\"label\":\"" + o.get("--label")
                + "\",\"count\":" + Integer.parseInt(o.get("--count"))
                + (o.containsKey("--steps") ? ",\"steps\":" + Integer.parseInt(o.get("--steps")) : "")
                + (o.containsKey("--seed") ? ",\"seed\":" + Long.parseLong(o.get("--seed")) : "")
                + (follow ? ",\"events\":[\"started\",\"progress\"]" : "")
                + ",\"attributes\":{\"caller\":\"java-example\"}}";

        Properties c = new Properties();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, o.get("--bootstrap-servers"));
        c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        // Terminal events are written in Kafka transactions: read only committed ones.
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        // [snippet:java-producer]
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, o.get("--bootstrap-servers"));
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        // [end]

        Duration timeout = Duration.ofSeconds(Long.parseLong(o.get("--timeout")));
        try (KafkaConsumer<String, String> events = new KafkaConsumer<>(c);
             KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
            // Positioned at the end of every partition before sending, so that the answer cannot be missed.
            List<TopicPartition> partitions = events.partitionsFor(o.get("--events-topic"), timeout).stream()
                    .map(info -> new TopicPartition(info.topic(), info.partition())).toList();
            events.assign(partitions);
            events.seekToEnd(partitions);
            partitions.forEach(events::position);

            // [snippet:java-send]
            // Key = requestId: every delivery of one id lands on one partition, so one worker sees them all.
            producer.send(new ProducerRecord<>(o.get("--requests-topic"), id, request)).get();
            // [end]
            System.err.println("sent " + id + " to " + o.get("--requests-topic") + "; waiting for its event");

            long deadline = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> r : events.poll(Duration.ofMillis(500))) {
                    if (!id.equals(r.key())) {
                        continue;
                    }
                    // Binary-mode CloudEvents: what happened is in the ce_type header, no need to parse the body.
                    Header type = r.headers().lastHeader("ce_type");
                    String ceType = type == null ? "" : new String(type.value(), StandardCharsets.UTF_8);
                    if (ceType.equals(TYPE + "started") || ceType.equals(TYPE + "progress")) {
                        System.err.println(ceType + " for " + id + ": " + r.value());
                        // [snippet:java-cancel]
                        if (cancelAfterStarted && ceType.equals(TYPE + "started")) {
                            // A cancel: a record on the control topic, keyed by the request id; every worker reads it.
                            String cancel = "{\"schemaVersion\":1,\"action\":\"cancel\",\"requestId\":\"" + id
                                    + "\"}";
                            producer.send(new ProducerRecord<>(o.get("--control-topic"), id, cancel)).get();
                            System.err.println("sent a cancel of " + id + " to " + o.get("--control-topic"));
                        }
                        // [end]
                        continue;
                    }
                    System.err.println(ceType + " for " + id);
                    System.out.println(r.value());
                    System.exit(ceType.equals(TYPE + "completed") ? 0 : ceType.equals(TYPE + "canceled") ? 4 : 3);
                }
            }
        }
        System.err.println("no event for " + id + " within " + timeout);
        System.exit(1);
    }
}
