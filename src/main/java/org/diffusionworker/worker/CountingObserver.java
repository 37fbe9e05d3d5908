package org.diffusionworker.worker;

/** Passes a request's events on to the caller's observer and counts the intermediate ones for the listener. */
final class CountingObserver implements RequestObserver {

    private final RequestObserver target;
    private final WorkerListener listener;

    CountingObserver(RequestObserver target, WorkerListener listener) {
        this.target = target;
        this.listener = listener;
    }

    @Override
    public void started(RequestProgress.Started started) {
        target.started(started);
        listener.intermediateEvent(RequestEvent.STARTED);
    }

    @Override
    public void progress(RequestProgress.Step step) {
        target.progress(step);
        listener.intermediateEvent(RequestEvent.PROGRESS);
    }

    @Override
    public void finished(Outcome outcome) {
        target.finished(outcome);
    }
}
