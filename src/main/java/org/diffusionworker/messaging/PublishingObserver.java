package org.diffusionworker.messaging;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.diffusionworker.worker.Outcome;
import org.diffusionworker.worker.RequestObserver;
import org.diffusionworker.worker.RequestProgress;

/**
 * Publishes one request's STARTED and PROGRESS events as the worker reports them (best effort: their offsets do not
 * wait for them) and hands its outcome to {@code answer}, which publishes the terminal event and commits the record.
 *
 * <p>The intermediate events go out on their own (non-transactional) producer and the terminal one in a transaction:
 * the outcome is handed on only once the last intermediate event was acknowledged (or after
 * {@link #INTERMEDIATE_WAIT_SECONDS}), so that on the events topic it still comes after them.
 */
final class PublishingObserver implements RequestObserver {

    static final long INTERMEDIATE_WAIT_SECONDS = 10;

    private final EventPublisher publisher;
    private final Map<String, String> traceHeaders;
    private final Consumer<Outcome> answer;
    /** The last intermediate event sent; the observer is never called concurrently for one request. */
    private CompletionStage<Void> lastSent = CompletableFuture.completedFuture(null);

    /** @param traceHeaders the trace context every intermediate event of this request carries */
    PublishingObserver(EventPublisher publisher, Map<String, String> traceHeaders, Consumer<Outcome> answer) {
        this.publisher = publisher;
        this.traceHeaders = Map.copyOf(traceHeaders);
        this.answer = answer;
    }

    @Override
    public void started(RequestProgress.Started started) {
        lastSent = publisher.publish(started, traceHeaders);
    }

    @Override
    public void progress(RequestProgress.Step step) {
        lastSent = publisher.publish(step, traceHeaders);
    }

    @Override
    public void finished(Outcome outcome) {
        CompletableFuture<Void> sent = lastSent.toCompletableFuture();
        if (sent.isDone()) {
            answer.accept(outcome);
        } else {
            sent.handle((ok, failure) -> null)
                    .completeOnTimeout(null, INTERMEDIATE_WAIT_SECONDS, TimeUnit.SECONDS)
                    .thenRun(() -> answer.accept(outcome));
        }
    }
}
