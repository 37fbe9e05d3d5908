package org.diffusionworker.messaging;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.reactive.messaging.kafka.KafkaClientService;
import io.smallrye.reactive.messaging.kafka.KafkaConsumer;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.TopicPartition;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Consumer lag per assigned partition, as Kafka's consumer computes it (its {@code currentLag}: the high watermark of
 * the last fetch minus the position), exported as {@code diffusion_kafka_records_lag{topic,partition}}.
 *
 * <p>Kafka's client-level metrics (among them {@code kafka_consumer_fetch_manager_records_lag_max}) come from
 * Quarkus's Micrometer Kafka binder. That binder registers the client's metrics when the consumer is created and
 * adds the per-partition ones ({@code records-lag} with topic and partition tags) only on later refreshes, which in
 * this setup never showed them (checked with Quarkus 3.33 / Micrometer 1.16 / Kafka 4.1); hence this gauge. It reads
 * the lag on the consumer's polling thread (the Kafka consumer is not thread-safe) every few seconds.
 */
@ApplicationScoped
class KafkaLagMetrics {

    private static final System.Logger LOG = System.getLogger(KafkaLagMetrics.class.getName());
    static final String CHANNEL = "generation-requests";
    private static final Duration PERIOD = Duration.ofSeconds(5);

    @Inject
    KafkaClientService clients;

    @Inject
    MeterRegistry registry;

    @ConfigProperty(name = "diffusionworker.worker.enabled", defaultValue = "false")
    boolean enabled;

    private final Map<TopicPartition, AtomicLong> lags = new ConcurrentHashMap<>();
    private final List<Meter> meters = new CopyOnWriteArrayList<>();
    private ScheduledExecutorService scheduler;

    void onStart(@Observes StartupEvent event) {
        if (!enabled) {
            return;
        }
        scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "kafka-lag-metrics");
            t.setDaemon(true);
            return t;
        });
        scheduler.scheduleWithFixedDelay(this::refresh, PERIOD.toMillis(), PERIOD.toMillis(), TimeUnit.MILLISECONDS);
    }

    void onStop(@Observes ShutdownEvent event) {
        if (scheduler != null) {
            scheduler.shutdownNow();
        }
        // A registry that outlives this application must not keep gauges of its partitions.
        meters.forEach(registry::remove);
        meters.clear();
    }

    private void refresh() {
        try {
            KafkaConsumer<Object, Object> consumer = clients.getConsumer(CHANNEL);
            if (consumer == null) {
                return;
            }
            Map<TopicPartition, Long> current = consumer.runOnPollingThread(c -> {
                Map<TopicPartition, Long> result = new HashMap<>();
                for (TopicPartition tp : c.assignment()) {
                    OptionalLong lag = c.currentLag(tp);
                    if (lag.isPresent()) {
                        result.put(tp, lag.getAsLong());
                    }
                }
                return result;
            }).await().atMost(PERIOD);
            current.forEach((tp, lag) -> lags.computeIfAbsent(tp, this::register).set(lag));
            // A partition that moved to another worker reads 0 here rather than a stale value.
            lags.forEach((tp, value) -> {
                if (!current.containsKey(tp)) {
                    value.set(0);
                }
            });
        } catch (RuntimeException e) {
            LOG.log(Level.DEBUG, "Could not read the consumer lag", e);
        }
    }

    private AtomicLong register(TopicPartition tp) {
        AtomicLong value = new AtomicLong();
        meters.add(Gauge.builder("diffusion.kafka.records.lag", value, AtomicLong::get)
                .description("Records behind the end of the partition, as the worker's Kafka consumer sees it")
                .tags("topic", tp.topic(), "partition", Integer.toString(tp.partition()))
                .register(registry));
        return value;
    }
}
