package org.diffusionworker.messaging;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import org.diffusionworker.worker.GenerationWorker;

/**
 * The Kafka adapter's one door to the application shell: the shell opens it with the started worker and the settings
 * it read, before any request record is consumed, and closes it when stopping. The channels wait for it to open; the
 * shell's health checks read whether the request channel stopped. Nothing in this package reaches into the shell.
 */
@ApplicationScoped
public class WorkerConnection {

    @Inject
    ControlTopicReader control;

    @Inject
    EventPublisher publisher;

    @Inject
    AnswerCommitter committer;

    private final CompletableFuture<GenerationWorker> started = new CompletableFuture<>();
    private volatile MessagingSettings settings;
    private volatile GenerationWorker worker;
    private final AtomicBoolean requestChannelStopped = new AtomicBoolean();

    /**
     * Connects {@code worker} to Kafka: reads the cancels of the last {@link MessagingSettings#cancelRetention()}
     * (waiting up to {@code replayTimeout}, so that a redelivered request meets the cancel it had before a restart),
     * then lets the request channel hand records to it.
     */
    public void open(GenerationWorker worker, MessagingSettings settings, Duration replayTimeout)
            throws InterruptedException {
        this.settings = settings;
        this.worker = worker;
        committer.start();
        control.start(worker, settings, replayTimeout);
        started.complete(worker);
    }

    /** Stops reading cancels (the worker itself is the shell's to stop). */
    public void closeControl() {
        control.stop();
    }

    /**
     * Waits until every answer made so far is committed (its event published with its record's offset) and every
     * other event was acknowledged or refused by Kafka, then stops committing; false when the time ran out first.
     */
    public boolean awaitEventsSent(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        boolean committed = committer.stop(timeout);
        return publisher.awaitIdle(Duration.ofNanos(Math.max(0, deadline - System.nanoTime()))) && committed;
    }

    /** True once a request record was nacked, which stops the request channel (failure-strategy=fail). */
    public boolean requestChannelStopped() {
        return requestChannelStopped.get();
    }

    /** The worker, once open. */
    public Optional<GenerationWorker> worker() {
        return Optional.ofNullable(worker);
    }

    CompletionStage<GenerationWorker> whenStarted() {
        return started;
    }

    /** The settings; null before {@link #open}. */
    MessagingSettings settings() {
        return settings;
    }

    void markRequestChannelStopped() {
        requestChannelStopped.set(true);
    }
}
