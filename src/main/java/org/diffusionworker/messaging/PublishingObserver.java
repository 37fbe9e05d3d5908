package org.diffusionworker.messaging;

import java.util.function.Consumer;
import org.diffusionworker.worker.Outcome;
import org.diffusionworker.worker.RequestObserver;
import org.diffusionworker.worker.RequestProgress;

/**
 * Publishes one request's STARTED and PROGRESS events as the worker reports them (best effort: their offsets do not
 * wait for them) and hands its outcome to {@code answer}, which publishes the terminal event and commits the record.
 */
record PublishingObserver(EventPublisher publisher, Consumer<Outcome> answer) implements RequestObserver {

    @Override
    public void started(RequestProgress.Started started) {
        publisher.publish(started);
    }

    @Override
    public void progress(RequestProgress.Step step) {
        publisher.publish(step);
    }

    @Override
    public void finished(Outcome outcome) {
        answer.accept(outcome);
    }
}
