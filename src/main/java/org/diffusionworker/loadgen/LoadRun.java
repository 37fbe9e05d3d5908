package org.diffusionworker.loadgen;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.diffusionworker.client.Durations;
import org.diffusionworker.client.KafkaClients;

/**
 * Sends a plan's requests and collects their events. The events consumer is assigned every partition of the events
 * topic and positioned at the end before the first send, so only events from then on count; they are matched to
 * requests by record key (the request id). Requests go out on a scheduler thread, at a fixed rate or all at once;
 * another thread samples the worker group's lag and prints progress once a second; this thread reads the events until
 * every sent request is answered (then {@code linger} longer, to see duplicates) or {@code timeout} after the last
 * send.
 */
public final class LoadRun {

    /**
     * Where to send and read, when to start and how long to wait.
     *
     * @param startAt when the first request goes out, or null for as soon as the clients are connected
     */
    public record Settings(String bootstrapServers, String requestsTopic, String eventsTopic, String group,
            Duration timeout, Duration linger, Instant startAt) {

        /**
         * The settings as {@code loadgen}'s options give them: {@code --timeout} and {@code --linger} 0..1h,
         * {@code --start-at} (or null) an ISO-8601 instant or epoch milliseconds at most 1h after {@code now}.
         */
        public static Settings of(String bootstrapServers, String requestsTopic, String eventsTopic, String group,
                String timeout, String linger, String startAt, Instant now) {
            Duration wait = bounded("--timeout", timeout);
            Duration lingering = bounded("--linger", linger);
            return new Settings(bootstrapServers, requestsTopic, eventsTopic, group, wait, lingering,
                    startAt == null ? null : startTime(startAt, now));
        }

        /** {@code --start-at} as an instant, not more than {@link LoadPlan#MAX_SPAN} ahead. */
        static Instant startTime(String text, Instant now) {
            Instant at;
            try {
                at = text.matches("\\d+") ? Instant.ofEpochMilli(Long.parseLong(text)) : Instant.parse(text);
            } catch (DateTimeParseException | NumberFormatException e) {
                throw new IllegalArgumentException("--start-at must be an ISO-8601 instant (e.g. 2026-12-07T21:00:00Z)"
                        + " or epoch milliseconds, got '" + text + "'");
            }
            if (at.isAfter(now.plus(LoadPlan.MAX_SPAN))) {
                throw new IllegalArgumentException("--start-at must be at most 1h ahead, got " + at + " (now " + now
                        + ")");
            }
            return at;
        }

        private static Duration bounded(String option, String text) {
            Duration d = Durations.parse(text);
            if (d.isNegative() || d.compareTo(LoadPlan.MAX_SPAN) > 0) {
                throw new IllegalArgumentException(option + " must be 0..1h, got " + text);
            }
            return d;
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration POLL = Duration.ofMillis(100);
    private static final Duration METADATA_WAIT = Duration.ofSeconds(30);

    private final Settings settings;
    private final PrintWriter progress;

    LoadRun(Settings settings, PrintWriter progress) {
        this.settings = settings;
        this.progress = progress;
    }

    /** What the threads share while the run lasts. */
    private static final class State {
        final String run;
        final List<LoadRequest> requests;
        final long startNanos = System.nanoTime();
        final long startEpochMs = System.currentTimeMillis();
        final AtomicInteger next = new AtomicInteger();
        /** Set by the sending thread once the last request is handed over and every send's callback has run. */
        final AtomicBoolean sendingFinished = new AtomicBoolean();
        final AtomicLongArray sentNanos;
        final AtomicReferenceArray<String> sendErrors;
        final AtomicInteger answered = new AtomicInteger();
        final AtomicInteger completed = new AtomicInteger();
        final AtomicInteger failed = new AtomicInteger();
        final List<LoadResults.LagSample> lag = Collections.synchronizedList(new ArrayList<>());

        State(String run, List<LoadRequest> requests) {
            this.run = run;
            this.requests = requests;
            this.sentNanos = new AtomicLongArray(requests.size());
            this.sendErrors = new AtomicReferenceArray<>(requests.size());
        }

        double ms(long nanos) {
            return (nanos - startNanos) / 1e6;
        }

        int sent() {
            return Math.min(next.get(), requests.size());
        }

        /** The index of a request of this run from its id, or -1. */
        int index(String id) {
            String prefix = "loadgen-" + run + "-";
            if (id == null || !id.startsWith(prefix)) {
                return -1;
            }
            try {
                int n = Integer.parseInt(id.substring(prefix.length()));
                return n >= 1 && n <= requests.size() ? n - 1 : -1;
            } catch (NumberFormatException e) {
                return -1;
            }
        }
    }

    LoadResults run(String run, List<LoadRequest> requests, LoadPlan.Pacing pacing) throws InterruptedException {
        try (KafkaConsumer<String, String> events = KafkaClients.consumer(settings.bootstrapServers());
             KafkaProducer<String, String> producer = KafkaClients.producer(settings.bootstrapServers())) {
            List<TopicPartition> eventPartitions = partitions(events, settings.eventsTopic());
            List<TopicPartition> requestPartitions = partitions(events, settings.requestsTopic());
            events.assign(eventPartitions);
            // Only events from now on: take the positions before the first request can be answered.
            events.seekToEnd(eventPartitions);
            eventPartitions.forEach(events::position);
            try (ConsumerGroupLag lag = new ConsumerGroupLag(settings.bootstrapServers(), settings.group(),
                    requestPartitions)) {
                // The producer's metadata before the clock starts, so the first send does not wait for it.
                producer.partitionsFor(settings.requestsTopic());
                awaitStart();
                return collect(new State(run, requests), pacing, events, producer, lag);
            }
        }
    }

    /**
     * Waits for {@code startAt}: loadgens started together (each a JVM that takes seconds to come up) then send from
     * the same instant, and none of that start-up falls in the measured span.
     */
    private void awaitStart() throws InterruptedException {
        if (settings.startAt() == null) {
            return;
        }
        long ms = Duration.between(Instant.now(), settings.startAt()).toMillis();
        if (ms < 0) {
            progress.printf(Locale.ROOT, "loadgen: the start time %s passed %d ms ago (connecting took longer);"
                    + " starting now%n", settings.startAt(), -ms);
        } else {
            progress.printf(Locale.ROOT, "loadgen: connected; starting at %s (in %d ms)%n", settings.startAt(), ms);
        }
        progress.flush();
        // Until the wall clock has reached it: the report's send times are wall-clock times, and a sleep rounded down
        // to the millisecond would wake just before it.
        for (Instant now = Instant.now(); now.isBefore(settings.startAt()); now = Instant.now()) {
            Thread.sleep(Duration.between(now, settings.startAt()).toMillis() + 1);
        }
    }

    private LoadResults collect(State state, LoadPlan.Pacing pacing, KafkaConsumer<String, String> events,
            KafkaProducer<String, String> producer, ConsumerGroupLag lag) throws InterruptedException {
        int total = state.requests.size();
        List<List<LoadResults.Arrival>> arrivals = new ArrayList<>(total);
        for (int i = 0; i < total; i++) {
            arrivals.add(new ArrayList<>(1));
        }
        ScheduledExecutorService threads = Executors.newScheduledThreadPool(2, r -> {
            Thread t = new Thread(r, "loadgen");
            t.setDaemon(true);
            return t;
        });
        String ending;
        try {
            threads.scheduleAtFixedRate(() -> monitor(state, lag), 0, 1, TimeUnit.SECONDS);
            ScheduledFuture<?> sending = pacing.isBurst()
                    ? threads.schedule(() -> {
                        for (int i = 0; i < total; i++) {
                            send(state, producer);
                        }
                    }, 0, TimeUnit.NANOSECONDS)
                    : threads.scheduleAtFixedRate(() -> send(state, producer), 0, pacing.intervalNanos(),
                            TimeUnit.NANOSECONDS);
            // Sending blocks when Kafka is unreachable (the producer's max.block.ms per send): give up on it once the
            // planned span plus the timeout has passed.
            long giveUp = state.startNanos + (total - 1) * pacing.intervalNanos() + settings.timeout().toNanos();
            long sendingDone = 0;
            int delivered = 0;
            long allAnswered = 0;
            while (true) {
                for (ConsumerRecord<String, String> record : events.poll(POLL)) {
                    arrive(state, record, arrivals, System.nanoTime());
                }
                long now = System.nanoTime();
                if (sendingDone == 0 && state.sendingFinished.get()) {
                    sending.cancel(false);
                    sendingDone = now;
                    delivered = sentWithoutError(state);
                }
                if (sendingDone == 0 && now - giveUp > 0) {
                    ending = "sending fell behind: " + state.sent() + " of " + total + " requests sent within the"
                            + " planned span plus the timeout (" + LoadPlan.human(settings.timeout()) + ")";
                    break;
                }
                if (sendingDone == 0) {
                    continue;
                }
                if (allAnswered == 0 && state.answered.get() >= delivered) {
                    allAnswered = now;
                }
                if (allAnswered != 0 && now - allAnswered >= settings.linger().toNanos()) {
                    ending = "every sent request answered; then read events " + LoadPlan.human(settings.linger())
                            + " longer for duplicates";
                    break;
                }
                if (allAnswered == 0 && now - sendingDone >= settings.timeout().toNanos()) {
                    ending = "timeout: " + LoadPlan.human(settings.timeout()) + " after the last send, "
                            + (delivered - state.answered.get()) + " request(s) unanswered";
                    break;
                }
            }
        } finally {
            threads.shutdownNow();
            threads.awaitTermination(10, TimeUnit.SECONDS);
        }
        monitor(state, lag);
        List<LoadResults.Entry> entries = new ArrayList<>(total);
        for (int i = 0; i < total; i++) {
            long sent = state.sentNanos.get(i);
            entries.add(new LoadResults.Entry(state.requests.get(i), sent == 0 ? Double.NaN : state.ms(sent),
                    state.sendErrors.get(i), List.copyOf(arrivals.get(i))));
        }
        List<LoadResults.LagSample> samples;
        synchronized (state.lag) {
            samples = List.copyOf(state.lag);
        }
        return new LoadResults(state.run, state.startEpochMs, entries, samples, ending);
    }

    private static int sentWithoutError(State state) {
        int n = 0;
        for (int i = 0; i < state.requests.size(); i++) {
            n += state.sentNanos.get(i) != 0 && state.sendErrors.get(i) == null ? 1 : 0;
        }
        return n;
    }

    /**
     * Sends the next request, if any is left; after the last one, flushes (so that every send's callback has run and
     * the send errors are known) and says so. Runs on one thread at a time, so requests go out in order. Never throws:
     * a failed send is recorded with its request.
     */
    private void send(State state, KafkaProducer<String, String> producer) {
        int i = state.next.getAndIncrement();
        if (i >= state.requests.size()) {
            return;
        }
        try {
            sendOne(state, producer, i);
        } finally {
            if (i == state.requests.size() - 1) {
                try {
                    producer.flush();
                } finally {
                    state.sendingFinished.set(true);
                }
            }
        }
    }

    private void sendOne(State state, KafkaProducer<String, String> producer, int i) {
        LoadRequest request = state.requests.get(i);
        long now = System.nanoTime();
        Instant submittedAt = Instant.ofEpochMilli(state.startEpochMs + Math.round(state.ms(now)));
        state.sentNanos.set(i, now);
        try {
            producer.send(new ProducerRecord<>(settings.requestsTopic(), null, submittedAt.toEpochMilli(),
                    request.id(), request.json(JSON, state.run, submittedAt)), (metadata, e) -> {
                        if (e != null) {
                            state.sendErrors.set(i, e.toString());
                        }
                    });
        } catch (RuntimeException e) {
            state.sendErrors.set(i, e.toString());
        }
    }

    private static void arrive(State state, ConsumerRecord<String, String> record,
            List<List<LoadResults.Arrival>> arrivals, long nanos) {
        JsonNode event;
        try {
            event = JSON.readTree(record.value() == null ? "{}" : record.value());
        } catch (IOException e) {
            event = JSON.createObjectNode().put("status", "UNREADABLE");
        }
        String id = record.key() != null ? record.key() : event.path("requestId").asText(null);
        int i = state.index(id);
        if (i < 0) {
            return;
        }
        List<LoadResults.Arrival> list = arrivals.get(i);
        list.add(new LoadResults.Arrival(state.ms(nanos), event));
        if (list.size() == 1) {
            (list.get(0).completed() ? state.completed : state.failed).incrementAndGet();
            state.answered.incrementAndGet();
        }
    }

    /** One lag sample and one progress line. Never throws (a failed sample is recorded as -1). */
    private void monitor(State state, ConsumerGroupLag lag) {
        long records;
        try {
            records = lag.sample();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        } catch (Exception e) {
            records = -1;
        }
        double at = state.ms(System.nanoTime());
        int sent = state.sent();
        int answered = state.answered.get();
        state.lag.add(new LoadResults.LagSample(at, records, sent, answered));
        progress.printf(Locale.ROOT, "loadgen: %6.1f s  sent %d/%d  answered %d (%d completed, %d failed)  lag %s%n",
                at / 1000, sent, state.requests.size(), answered, state.completed.get(), state.failed.get(),
                records < 0 ? "?" : Long.toString(records));
        progress.flush();
    }

    private List<TopicPartition> partitions(KafkaConsumer<String, String> consumer, String topic) {
        List<PartitionInfo> infos;
        try {
            infos = consumer.partitionsFor(topic, METADATA_WAIT);
        } catch (TimeoutException e) {
            throw new IllegalArgumentException("no answer from Kafka at " + settings.bootstrapServers() + " within "
                    + LoadPlan.human(METADATA_WAIT) + " (is the broker running, and is that its address?)");
        }
        if (infos == null || infos.isEmpty()) {
            throw new IllegalArgumentException("topic '" + topic + "' does not exist (or is not visible)");
        }
        return infos.stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
    }
}
