package org.diffusionworker.worker;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import org.diffusionworker.diffusion.SamplerKind;
import org.diffusionworker.generation.Conditioning;
import org.diffusionworker.storage.ObjectKeys;

/**
 * One request for generated images (a grid, single images, or both), as the producer sent it (defaults not yet
 * applied, so that a redelivery of the same message compares equal field for field): what to make, and its parts.
 *
 * <p>Each part checks its own fields, and this record its own, for what holds whatever the model and configuration: a
 * valid id, positive counts, eta and guidance in their ranges. Limits of this worker and labels of its model are checked
 * by {@link GenerationWorker}. Violations throw {@link RequestRejectedException} with {@link ErrorCode#INVALID_REQUEST}.
 *
 * @param requestId    the idempotency key; 1..128 characters of {@code [A-Za-z0-9._-]}
 * @param conditioning a label, a weighted mix of labels, or unconditional
 * @param count        images to generate
 * @param sampling     sampler, steps, preset, eta, guidance and seed; null for {@link SamplingParameters#DEFAULT}
 * @param delivery     what is stored (layout, columns, trajectory) and which events come before the terminal one; null
 *                     for {@link Delivery#DEFAULT}
 * @param scheduling   its class and tenant; null for {@link Scheduling#DEFAULT}
 * @param deadline     when the request stops being worth running; null for never
 * @param attributes   opaque caller values echoed back in the result
 * @param submittedAt  when the producer sent it (the start of end-to-end latency); null for when the worker got it
 */
public record GenerationRequest(
        String requestId,
        Conditioning conditioning,
        int count,
        SamplingParameters sampling,
        Delivery delivery,
        Scheduling scheduling,
        Instant deadline,
        Map<String, String> attributes,
        Instant submittedAt) {

    public GenerationRequest {
        requireValid(requestId, count);
        Objects.requireNonNull(conditioning, "conditioning");
        sampling = sampling == null ? SamplingParameters.DEFAULT : sampling;
        delivery = delivery == null ? Delivery.DEFAULT : delivery;
        scheduling = scheduling == null ? Scheduling.DEFAULT : scheduling;
        attributes = attributes == null ? Map.of() : Map.copyOf(attributes);
    }

    /**
     * The checks of this record's own fields. A reader that builds the parts first calls it before them, so that a
     * request wrong in several ways is refused for its id or count first, as it always was.
     */
    public static void requireValid(String requestId, int count) {
        try {
            ObjectKeys.requireValidRequestId(requestId);
        } catch (IllegalArgumentException e) {
            throw new RequestRejectedException(ErrorCode.INVALID_REQUEST, e.getMessage());
        }
        if (count < 1) {
            throw new RequestRejectedException(ErrorCode.INVALID_REQUEST, "count must be at least 1, got " + count);
        }
    }

    /** A request with the defaults for everything but id and conditioning (DDIM, 16 images). */
    public static GenerationRequest of(String requestId, Conditioning conditioning) {
        return new GenerationRequest(requestId, conditioning, 16,
                new SamplingParameters(SamplerKind.DDIM, null, SamplingPreset.STANDARD, 0, 0, null), Delivery.DEFAULT,
                Scheduling.DEFAULT, null, Map.of(), null);
    }

    public GenerationRequest with(SamplingParameters newSampling) {
        return new GenerationRequest(requestId, conditioning, count, newSampling, delivery, scheduling, deadline,
                attributes, submittedAt);
    }

    public GenerationRequest with(Delivery newDelivery) {
        return new GenerationRequest(requestId, conditioning, count, sampling, newDelivery, scheduling, deadline,
                attributes, submittedAt);
    }

    public GenerationRequest with(Scheduling newScheduling) {
        return new GenerationRequest(requestId, conditioning, count, sampling, delivery, newScheduling, deadline,
                attributes, submittedAt);
    }
}
