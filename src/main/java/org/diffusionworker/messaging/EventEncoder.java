package org.diffusionworker.messaging;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import org.diffusionworker.generation.Conditioning;
import org.diffusionworker.worker.Outcome;
import org.diffusionworker.worker.RequestProgress;

/** Turns a worker {@link Outcome} into the JSON of its event. */
final class EventEncoder {

    private final ObjectMapper json;

    EventEncoder(ObjectMapper json) {
        this.json = json;
    }

    String encode(Outcome outcome, RecordOrigin origin, Instant finishedAt) {
        GenerationEvent.Source source = origin == null || origin.topic() == null ? null
                : new GenerationEvent.Source(origin.topic(), origin.partition(), origin.offset(), origin.offeredId());
        Object event;
        if (outcome instanceof Outcome.Completed c) {
            event = completed(c, source, finishedAt);
        } else if (outcome instanceof Outcome.Canceled c) {
            event = new GenerationEvent.Canceled(GenerationEvent.SCHEMA_VERSION, GenerationEvent.CANCELED,
                    c.requestId(), c.canceledWhile().name().toLowerCase(Locale.ROOT).replace('_', '-'), c.stepsDone(),
                    source, c.request().attributes(), finishedAt);
        } else {
            event = failed((Outcome.Failed) outcome, source, finishedAt);
        }
        return write(event, outcome.requestId());
    }

    String encode(RequestProgress.Started s) {
        return write(new GenerationEvent.Started(GenerationEvent.SCHEMA_VERSION, GenerationEvent.STARTED,
                s.request().requestId(), s.queuedMs(), new GenerationEvent.StartedBatch(s.batchImages(),
                s.batchRequests()), s.startedAt(), s.request().attributes()), s.request().requestId());
    }

    String encode(RequestProgress.Step p) {
        return write(new GenerationEvent.Progress(GenerationEvent.SCHEMA_VERSION, GenerationEvent.PROGRESS,
                p.request().requestId(), p.step(), p.steps(), p.etaMs()), p.request().requestId());
    }

    private String write(Object event, String requestId) {
        try {
            return json.writeValueAsString(event);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("could not write the event of " + requestId, e);
        }
    }

    private static GenerationEvent.Completed completed(Outcome.Completed c, GenerationEvent.Source source,
            Instant finishedAt) {
        Outcome.EffectiveParameters p = c.parameters();
        Conditioning conditioning = c.request().conditioning();
        String label = conditioning instanceof Conditioning.Label l ? l.name() : null;
        Map<String, Double> context = conditioning instanceof Conditioning.Mix m ? m.weights() : null;
        return new GenerationEvent.Completed(GenerationEvent.SCHEMA_VERSION, GenerationEvent.COMPLETED, c.requestId(),
                // Layout images stores no grid: the field is left out (not null), as trajectory is when not asked.
                c.grid().map(g -> new GenerationEvent.Image(g.url(), g.bucket(), g.key(), g.contentType(), g.width(),
                        g.height(), g.count(), g.columns())).orElse(null),
                // Layout grid: left out, so a grid request's event is what it was before layouts existed.
                c.images().isEmpty() ? null : c.images().stream()
                        .map(i -> new GenerationEvent.SingleImage(i.index(), i.key(), i.url())).toList(),
                c.trajectory().map(t -> new GenerationEvent.Trajectory(t.url(), t.key(), t.contentType(), t.frames()))
                        .orElse(null),
                new GenerationEvent.Parameters(label, context, p.count(),
                        p.sampler().kind().id(), p.sampler().steps(), p.sampler().eta(),
                        p.guidance(), p.seed(), p.seedDrawn(), p.columns(), p.trajectory(), p.layout().id()),
                new GenerationEvent.Model(c.model().name(), c.model().weightsSha256()),
                new GenerationEvent.Timings(c.timings().queuedMs(), c.timings().samplingMs(), c.timings().uploadMs(),
                        c.timings().endToEndMs()),
                c.batches().stream().map(b -> new GenerationEvent.Batch(b.images(), b.requests(), b.ownImages())).toList(),
                c.deduplicated(), source, c.request().attributes(), finishedAt);
    }

    private static GenerationEvent.Failed failed(Outcome.Failed f, GenerationEvent.Source source, Instant finishedAt) {
        Map<String, String> attributes = f.request() != null ? f.request().attributes() : Map.of();
        return new GenerationEvent.Failed(GenerationEvent.SCHEMA_VERSION, GenerationEvent.FAILED, f.requestId(),
                new GenerationEvent.Error(f.code().name(), f.message()), source, attributes, finishedAt);
    }
}
