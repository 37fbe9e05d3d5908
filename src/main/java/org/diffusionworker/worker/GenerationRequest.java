package org.diffusionworker.worker;

import java.time.Instant;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.Objects;
import org.diffusionworker.diffusion.SamplerKind;
import org.diffusionworker.generation.Conditioning;
import org.diffusionworker.storage.ObjectKeys;

/**
 * One request for generated images (a grid, single images, or both), as the producer sent it (defaults not yet
 * applied, so that a redelivery of the same message compares equal field for field).
 *
 * <p>The constructor checks what holds whatever the model and configuration: a valid id, positive counts, eta and
 * guidance in their ranges. Limits of this worker and labels of its model are checked by {@link GenerationWorker}.
 * Violations throw {@link RequestRejectedException} with {@link ErrorCode#INVALID_REQUEST}.
 *
 * @param requestId   the idempotency key; 1..128 characters of {@code [A-Za-z0-9._-]}
 * @param conditioning a label, a weighted mix of labels, or unconditional
 * @param count       images to generate
 * @param sampler     DDIM, DDPM, DPM-Solver++(2M) or UniPC; null for the preset's (DDIM when eta is given)
 * @param steps       steps; null for the preset's (DDPM always takes the model's T)
 * @param preset      what a request without {@code sampler} or {@code steps} gets; null for
 *                    {@link SamplingPreset#STANDARD}
 * @param eta         DDIM eta in [0, 1] (0 for the other samplers)
 * @param guidance    classifier-free guidance weight in [0, 20] ({@code ClassifierFreeGuidance.MAX_WEIGHT})
 * @param seed        the seed; null to let the worker draw one (and report it)
 * @param columns     images per grid row; null for ceil(sqrt(count))
 * @param trajectory  whether to store the denoising trajectory as a GIF as well
 * @param deadline    when the request stops being worth running; null for never
 * @param attributes  opaque caller values echoed back in the result
 * @param submittedAt when the producer sent it (the start of end-to-end latency); null for when the worker got it
 * @param events      the intermediate events the producer wants before the terminal one (none by default)
 * @param layout      what the images are stored as: a grid, single images, or both; null for
 *                    {@link ResultLayout#GRID}
 * @param scheduling  its class and tenant; null for {@link Scheduling#DEFAULT}
 */
public record GenerationRequest(
        String requestId,
        Conditioning conditioning,
        int count,
        SamplerKind sampler,
        Integer steps,
        SamplingPreset preset,
        double eta,
        double guidance,
        Long seed,
        Integer columns,
        boolean trajectory,
        Instant deadline,
        Map<String, String> attributes,
        Instant submittedAt,
        Set<RequestEvent> events,
        ResultLayout layout,
        Scheduling scheduling) {

    public static final double MAX_GUIDANCE = 20;

    public GenerationRequest {
        try {
            ObjectKeys.requireValidRequestId(requestId);
        } catch (IllegalArgumentException e) {
            throw invalid(e.getMessage());
        }
        Objects.requireNonNull(conditioning, "conditioning");
        if (count < 1) {
            throw invalid("count must be at least 1, got " + count);
        }
        if (steps != null && steps < 1) {
            throw invalid("steps must be at least 1, got " + steps);
        }
        preset = preset == null ? SamplingPreset.STANDARD : preset;
        if (preset == SamplingPreset.FAST && sampler == SamplerKind.DDPM) {
            throw invalid("preset \"fast\" is a sampler with few steps; ddpm always takes all of the model's steps");
        }
        if (sampler != null && !sampler.takesEta() && eta != 0) {
            throw invalid("eta applies to DDIM only; leave it out (or 0) for " + sampler.id());
        }
        if (!(eta >= 0 && eta <= 1)) {
            throw invalid("eta must be in [0, 1], got " + eta);
        }
        if (!(guidance >= 0 && guidance <= MAX_GUIDANCE)) {
            throw invalid("guidance must be in [0, " + (int) MAX_GUIDANCE + "], got " + guidance);
        }
        if (seed != null && seed < 0) {
            throw invalid("seed must be a non-negative integer, got " + seed);
        }
        if (columns != null && columns < 1) {
            throw invalid("columns must be at least 1, got " + columns);
        }
        attributes = attributes == null ? Map.of() : Map.copyOf(attributes);
        events = events == null || events.isEmpty() ? Set.of() : Collections.unmodifiableSet(EnumSet.copyOf(events));
        layout = layout == null ? ResultLayout.GRID : layout;
        scheduling = scheduling == null ? Scheduling.DEFAULT : scheduling;
    }

    /** A request with the defaults for everything but id and conditioning (DDIM, 16 images). */
    public static GenerationRequest of(String requestId, Conditioning conditioning) {
        return new GenerationRequest(requestId, conditioning, 16, SamplerKind.DDIM, null, SamplingPreset.STANDARD, 0, 0, null,
                null, false, null, Map.of(), null, Set.of(), ResultLayout.GRID, Scheduling.DEFAULT);
    }

    public GenerationRequest withCount(int newCount) {
        return new GenerationRequest(requestId, conditioning, newCount, sampler, steps, preset, eta, guidance, seed,
                columns, trajectory, deadline, attributes, submittedAt, events, layout, scheduling);
    }

    public GenerationRequest withSampler(SamplerKind newSampler, Integer newSteps) {
        return new GenerationRequest(requestId, conditioning, count, newSampler, newSteps, preset, eta, guidance,
                seed, columns, trajectory, deadline, attributes, submittedAt, events, layout, scheduling);
    }

    public GenerationRequest withSeed(Long newSeed) {
        return new GenerationRequest(requestId, conditioning, count, sampler, steps, preset, eta, guidance, newSeed,
                columns, trajectory, deadline, attributes, submittedAt, events, layout, scheduling);
    }

    public GenerationRequest withGuidance(double newGuidance) {
        return new GenerationRequest(requestId, conditioning, count, sampler, steps, preset, eta, newGuidance, seed,
                columns, trajectory, deadline, attributes, submittedAt, events, layout, scheduling);
    }

    public GenerationRequest withPreset(SamplingPreset newPreset) {
        return new GenerationRequest(requestId, conditioning, count, sampler, steps, newPreset, eta, guidance, seed,
                columns, trajectory, deadline, attributes, submittedAt, events, layout, scheduling);
    }

    public GenerationRequest withDeadline(Instant newDeadline) {
        return new GenerationRequest(requestId, conditioning, count, sampler, steps, preset, eta, guidance, seed,
                columns, trajectory, newDeadline, attributes, submittedAt, events, layout, scheduling);
    }

    public GenerationRequest withScheduling(Scheduling newScheduling) {
        return new GenerationRequest(requestId, conditioning, count, sampler, steps, preset, eta, guidance, seed,
                columns, trajectory, deadline, attributes, submittedAt, events, layout, newScheduling);
    }

    public GenerationRequest withEvents(Set<RequestEvent> newEvents) {
        return new GenerationRequest(requestId, conditioning, count, sampler, steps, preset, eta, guidance, seed,
                columns, trajectory, deadline, attributes, submittedAt, newEvents, layout, scheduling);
    }

    public GenerationRequest withLayout(ResultLayout newLayout) {
        return new GenerationRequest(requestId, conditioning, count, sampler, steps, preset, eta, guidance, seed,
                columns, trajectory, deadline, attributes, submittedAt, events, newLayout, scheduling);
    }

    private static RequestRejectedException invalid(String message) {
        return new RequestRejectedException(ErrorCode.INVALID_REQUEST, message);
    }
}
