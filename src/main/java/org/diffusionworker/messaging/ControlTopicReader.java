package org.diffusionworker.messaging;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.smallrye.common.annotation.Identifier;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.diffusionworker.worker.CancelEffect;
import org.diffusionworker.worker.GenerationWorker;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Reads the control topic as a broadcast: every worker reads every partition (manual assignment, no consumer group,
 * so no worker competes for a record and no group is left behind per pod), from the records of the last
 * {@code cancel-retention} on start, so a restarted worker still knows the cancels of requests it may be handed again.
 * It has its own consumer and thread, so it keeps reading while the request partitions are paused by back-pressure.
 *
 * <p>This is the one hand-written poll loop of the worker, for the reason Kafka Streams' global-table thread has one:
 * SmallRye's channels subscribe through a group (in Quarkus by default the application's name, shared by every pod),
 * which would deliver each cancel to one worker only. Nothing in a record can stop the loop: a malformed one is logged,
 * counted and skipped.
 */
@ApplicationScoped
class ControlTopicReader {

    private static final System.Logger LOG = System.getLogger(ControlTopicReader.class.getName());
    private static final Duration POLL = Duration.ofMillis(200);
    /** New partitions of the control topic are picked up this often. */
    private static final long REFRESH_NANOS = TimeUnit.SECONDS.toNanos(30);

    @Inject
    @Identifier("default-kafka-broker")
    Map<String, Object> kafka;

    @Inject
    ObjectMapper json;

    @Inject
    MeterRegistry registry;

    private volatile MessagingSettings settings;
    private volatile KafkaConsumer<String, byte[]> consumer;
    private volatile Thread thread;
    private volatile boolean running;
    private volatile boolean assigned;
    /** Reader thread only. */
    private boolean missingTopicReported;
    /** Counted down once the cancels of the retention window have been read (or there were none to read). */
    private final CountDownLatch caughtUp = new CountDownLatch(1);
    /** Where the replay ends: the end offsets when the partitions were first assigned. Reader thread only. */
    private Map<TopicPartition, Long> replayEnd = Map.of();

    /**
     * Starts reading for {@code worker} (cancels go to it, their figures to {@code metrics}) and waits, up to
     * {@code replayTimeout}, until the cancels of the retention window are read: a request redelivered after a restart
     * must meet the cancel it had before, or it would be sampled and answered COMPLETED after its CANCELED.
     *
     * @return false when the replay did not finish in time (the reader goes on; a warning says so)
     */
    boolean start(GenerationWorker worker, MessagingSettings settings, Duration replayTimeout)
            throws InterruptedException {
        this.settings = settings;
        startReading(worker, new ControlMetrics(registry));
        boolean done = caughtUp.await(replayTimeout.toNanos(), TimeUnit.NANOSECONDS);
        if (!done) {
            LOG.log(Level.WARNING, String.format(
                    "The control topic's cancels of the last %s were not all read within %s; requests arriving"
                    + " meanwhile may miss a cancel sent before this worker started", settings.cancelRetention(),
                    replayTimeout));
        }
        return done;
    }

    private synchronized void startReading(GenerationWorker worker, ControlMetrics metrics) {
        if (thread != null) {
            return;
        }
        Map<String, Object> props = new HashMap<>();
        kafka.forEach((k, v) -> props.put(k, v));
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "diffusion-worker-control-" + UUID.randomUUID());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 500);
        consumer = new KafkaConsumer<>(props);
        running = true;
        ControlRecordDecoder decoder = new ControlRecordDecoder(json);
        thread = new Thread(() -> loop(worker, metrics, decoder), "control-reader");
        thread.setDaemon(true);
        thread.start();
    }

    /** Whether the reader holds the control topic's partitions (for readiness). */
    boolean assigned() {
        return assigned;
    }

    synchronized void stop() {
        running = false;
        KafkaConsumer<String, byte[]> c = consumer;
        if (c != null) {
            c.wakeup();
        }
        Thread t = thread;
        if (t != null) {
            try {
                t.join(TimeUnit.SECONDS.toMillis(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        thread = null;
    }

    private void loop(GenerationWorker worker, ControlMetrics metrics, ControlRecordDecoder decoder) {
        String topic = settings.controlTopic();
        long refreshed = 0;
        try (KafkaConsumer<String, byte[]> c = consumer) {
            while (running) {
                try {
                    if (!assigned || System.nanoTime() - refreshed > REFRESH_NANOS) {
                        refreshed = System.nanoTime();
                        assign(c, topic);
                    }
                    if (!assigned) {
                        sleepQuietly(); // the topic does not exist (yet): look again in a moment
                        continue;
                    }
                    for (ConsumerRecord<String, byte[]> record : c.poll(POLL)) {
                        handle(record, worker, metrics, decoder);
                    }
                    if (caughtUp.getCount() > 0 && replayed(c)) {
                        caughtUp.countDown();
                    }
                } catch (WakeupException e) {
                    return;
                } catch (RuntimeException e) {
                    // The broker went away or the topic is being changed: keep trying, the cancels wait in Kafka.
                    LOG.log(Level.WARNING, String.format(
                            "Reading the control topic '%s' failed (%s); trying again", topic, e.toString()));
                    assigned = false;
                    sleepQuietly();
                }
            }
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "The control reader stopped", e);
        }
    }

    /** Assigns every partition of the topic; new ones start at the cancels of the retention window. */
    private void assign(KafkaConsumer<String, byte[]> c, String topic) {
        List<PartitionInfo> infos = c.partitionsFor(topic, Duration.ofSeconds(10));
        if (infos == null || infos.isEmpty()) {
            if (!missingTopicReported) {
                missingTopicReported = true;
                LOG.log(Level.WARNING, String.format(
                        "Control topic '%s' does not exist; cancels are not read until it does", topic));
            }
            caughtUp.countDown(); // nothing to replay
            return;
        }
        Set<TopicPartition> partitions = infos.stream().map(i -> new TopicPartition(topic, i.partition()))
                .collect(Collectors.toSet());
        Set<TopicPartition> known = c.assignment();
        if (partitions.equals(known)) {
            assigned = true;
            return;
        }
        Set<TopicPartition> added = partitions.stream().filter(p -> !known.contains(p)).collect(Collectors.toSet());
        c.assign(partitions);
        long since = Instant.now().minus(settings.cancelRetention()).toEpochMilli();
        Map<TopicPartition, Long> times = added.stream().collect(Collectors.toMap(p -> p, p -> since));
        Map<TopicPartition, OffsetAndTimestamp> offsets = c.offsetsForTimes(times, Duration.ofSeconds(10));
        for (TopicPartition p : added) {
            OffsetAndTimestamp at = offsets.get(p);
            if (at != null) {
                c.seek(p, at.offset());
            } else {
                c.seekToEnd(List.of(p));
            }
        }
        if (replayEnd.isEmpty()) {
            replayEnd = c.endOffsets(added, Duration.ofSeconds(10));
        }
        assigned = true;
        LOG.log(Level.INFO, String.format(
                "Reading cancels from '%s' (%d partition(s)), from %s back", topic, partitions.size(),
                settings.cancelRetention()));
    }

    /** Whether every partition's position has reached where the replay ends. */
    private boolean replayed(KafkaConsumer<String, byte[]> c) {
        for (Map.Entry<TopicPartition, Long> end : replayEnd.entrySet()) {
            if (c.assignment().contains(end.getKey()) && c.position(end.getKey()) < end.getValue()) {
                return false;
            }
        }
        return assigned;
    }

    private void handle(ConsumerRecord<String, byte[]> record, GenerationWorker worker, ControlMetrics metrics,
            ControlRecordDecoder decoder) {
        try {
            ControlRecordDecoder.Decoded decoded = decoder.decode(record.value(), record.key());
            if (decoded instanceof ControlRecordDecoder.Invalid invalid) {
                metrics.invalidControlRecord();
                LOG.log(Level.WARNING, String.format(
                        "Control record %s-%d@%d skipped: %s", record.topic(), record.partition(), record.offset(),
                        invalid.reason()));
                return;
            }
            String requestId = ((ControlRecordDecoder.Cancel) decoded).requestId();
            CancelEffect effect = worker.cancel(requestId);
            if (effect == CancelEffect.CANCELED_QUEUED || effect == CancelEffect.CANCELED_RUNNING) {
                if (record.timestampType() == TimestampType.CREATE_TIME && record.timestamp() > 0) {
                    metrics.cancelAnswered(TimeUnit.MILLISECONDS.toNanos(
                            Math.max(0, System.currentTimeMillis() - record.timestamp())));
                }
            }
            LOG.log(Level.DEBUG, () -> String.format("Cancel of %s: %s", requestId, effect));
        } catch (RuntimeException e) {
            metrics.invalidControlRecord();
            LOG.log(Level.ERROR, String.format(
                    "Handling control record %s-%d@%d failed; skipped", record.topic(), record.partition(),
                    record.offset()), e);
        }
    }

    private void sleepQuietly() {
        try {
            TimeUnit.SECONDS.sleep(1); // a back-off between attempts, not flow control
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }
}
