package org.diffusionworker.app;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.diffusionworker.worker.CancelEffect;
import org.diffusionworker.worker.Outcome;
import org.diffusionworker.worker.RequestEvent;
import org.diffusionworker.worker.WorkerListener;

/**
 * The worker's metrics in Micrometer (Prometheus at /q/metrics): requests by outcome and error code, images made,
 * batch sizes, queue delay, sampling step time, upload and end-to-end latency. Queue depth gauges are registered by
 * {@link WorkerRuntime}, the control reader's (cancel latency, bad control records) by messaging; Kafka's own consumer
 * metrics (lag included) come from the Kafka binder.
 */
final class WorkerMetrics implements WorkerListener {

    private static final double[] BATCH_BUCKETS = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512};

    private final MeterRegistry registry;
    private final Counter images;
    private final DistributionSummary batchImages;
    private final Counter joinedBatches;
    private final DistributionSummary batchRequests;
    private final Timer queueDelay;
    private final Timer samplingStep;
    private final Timer upload;
    private final Timer endToEnd;
    private final DistributionSummary stepHookShare;

    WorkerMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.images = Counter.builder("diffusion.images.generated").description("Images sampled (not counting"
                + " results answered from the store)").register(registry);
        this.batchImages = DistributionSummary.builder("diffusion.batch.images")
                .description("Images per batch (started together; a batch may join another's forward passes)")
                .serviceLevelObjectives(BATCH_BUCKETS).register(registry);
        this.joinedBatches = Counter.builder("diffusion.batches.joined")
                .description("Batches that joined a batch in progress between two of its steps").register(registry);
        this.batchRequests = DistributionSummary.builder("diffusion.batch.requests")
                .description("Requests sharing a batch").serviceLevelObjectives(BATCH_BUCKETS).register(registry);
        this.queueDelay = Timer.builder("diffusion.queue.delay").description("Wait of the oldest image of a batch")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofMinutes(10)).register(registry);
        this.samplingStep = Timer.builder("diffusion.sampling.step").description("One denoising step of a batch")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofSeconds(30)).register(registry);
        this.upload = Timer.builder("diffusion.upload").description("Encoding and uploading a request's grid (and GIF)")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofMinutes(10)).register(registry);
        this.endToEnd = Timer.builder("diffusion.request.latency").description("From the producer's timestamp to the"
                        + " answer").publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(10))
                .maximumExpectedValue(Duration.ofHours(1)).register(registry);
        this.stepHookShare = DistributionSummary.builder("diffusion.sampling.step.hook.share").description("Share of a"
                + " batch's sampling time spent in its per-step hook (progress events and cancel checks)")
                .register(registry);
        // Present from the start, so dashboards and alerts see zero rather than no data.
        for (CancelEffect effect : CancelEffect.values()) {
            registry.counter("diffusion.cancels", "effect", effect.name().toLowerCase(java.util.Locale.ROOT));
        }
        for (RequestEvent kind : RequestEvent.values()) {
            registry.counter("diffusion.events.intermediate", "type", kind.id());
        }
        for (Outcome.CancelPoint point : Outcome.CancelPoint.values()) {
            canceled(point);
        }
    }

    @Override
    public void requestFinished(Outcome outcome, long endToEndNanos) {
        String result;
        String code;
        if (outcome instanceof Outcome.Completed c) {
            result = c.deduplicated() ? "deduplicated" : "completed";
            code = "none";
            if (!c.deduplicated()) {
                images.increment(c.parameters().count());
            }
            endToEnd.record(c.timings().endToEndMs(), TimeUnit.MILLISECONDS);
        } else if (outcome instanceof Outcome.Canceled c) {
            result = "canceled";
            code = "none";
            canceled(c.canceledWhile()).increment();
        } else {
            result = "failed";
            code = ((Outcome.Failed) outcome).code().name();
        }
        registry.counter("diffusion.requests", "outcome", result, "code", code).increment();
    }

    @Override
    public void batchStarted(int imageCount, int requests, long oldestWaitNanos, boolean joined) {
        if (joined) {
            joinedBatches.increment();
        }
        batchImages.record(imageCount);
        batchRequests.record(requests);
        queueDelay.record(oldestWaitNanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void samplingStep(long nanos) {
        samplingStep.record(nanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void uploaded(long nanos) {
        upload.record(nanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void stepHookCost(long hookNanos, long samplingNanos) {
        if (samplingNanos > 0) {
            stepHookShare.record((double) hookNanos / samplingNanos);
        }
    }

    @Override
    public void cancelReceived(CancelEffect effect) {
        registry.counter("diffusion.cancels", "effect", effect.name().toLowerCase(java.util.Locale.ROOT)).increment();
    }

    @Override
    public void intermediateEvent(RequestEvent kind) {
        registry.counter("diffusion.events.intermediate", "type", kind.id()).increment();
    }

    private Counter canceled(Outcome.CancelPoint point) {
        return Counter.builder("diffusion.requests.canceled").description("Requests answered CANCELED, by where the"
                + " cancel found them").tag("while", point.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'))
                .register(registry);
    }


}
