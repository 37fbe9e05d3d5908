package org.diffusionworker.messaging;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.util.Map;
import org.diffusionworker.generation.Conditioning;
import org.diffusionworker.worker.Outcome;

/** Turns a worker {@link Outcome} into the JSON of its event. */
final class EventEncoder {

    private final ObjectMapper json;

    EventEncoder(ObjectMapper json) {
        this.json = json;
    }

    String encode(Outcome outcome, RecordOrigin origin, Instant finishedAt) {
        GenerationEvent.Source source = origin == null || origin.topic() == null ? null
                : new GenerationEvent.Source(origin.topic(), origin.partition(), origin.offset(), origin.offeredId());
        Object event = outcome instanceof Outcome.Completed c ? completed(c, source, finishedAt)
                : failed((Outcome.Failed) outcome, source, finishedAt);
        try {
            return json.writeValueAsString(event);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("could not write the event of " + outcome.requestId(), e);
        }
    }

    private static GenerationEvent.Completed completed(Outcome.Completed c, GenerationEvent.Source source,
            Instant finishedAt) {
        Outcome.StoredGrid g = c.grid();
        Outcome.EffectiveParameters p = c.parameters();
        Conditioning conditioning = c.request().conditioning();
        String label = conditioning instanceof Conditioning.Label l ? l.name() : null;
        Map<String, Double> context = conditioning instanceof Conditioning.Mix m ? m.weights() : null;
        return new GenerationEvent.Completed(GenerationEvent.SCHEMA_VERSION, GenerationEvent.COMPLETED, c.requestId(),
                new GenerationEvent.Image(g.url(), g.bucket(), g.key(), g.contentType(), g.width(), g.height(),
                        g.count(), g.columns()),
                c.trajectory().map(t -> new GenerationEvent.Trajectory(t.url(), t.key(), t.contentType(), t.frames()))
                        .orElse(null),
                new GenerationEvent.Parameters(label, context, p.count(),
                        p.sampler().kind().id(), p.sampler().steps(), p.sampler().eta(),
                        p.guidance(), p.seed(), p.seedDrawn(), p.columns(), p.trajectory()),
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
