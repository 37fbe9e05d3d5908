package org.diffusionworker.worker;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.TreeMap;
import org.diffusionworker.diffusion.SamplerKind;
import org.diffusionworker.diffusion.SamplerSettings;
import org.diffusionworker.generation.Conditioning;
import org.diffusionworker.generation.UnknownLabelException;
import org.diffusionworker.model.ModelSpec;

/**
 * Turns a request into a {@link Job} for this worker and model: limits checked, defaults applied (DDIM steps,
 * columns, a drawn seed), the context vector made from the model's labels, the deadline as a nanoTime instant, and
 * the fingerprint of the parameters that decide the pixels, which idempotency compares.
 */
final class RequestResolver {

    private static final String FINGERPRINT_VERSION = "v1";

    private final WorkerSettings settings;
    private final ModelSpec spec;
    private final SecureRandom seeds = new SecureRandom();

    RequestResolver(WorkerSettings settings, ModelSpec spec) {
        this.settings = settings;
        this.spec = spec;
    }

    /**
     * The job of {@code request}, received at {@code now} (a nanoTime instant): this worker's defaults applied and
     * its limits checked.
     *
     * @throws RequestRejectedException naming what is wrong with the request
     */
    Job resolve(GenerationRequest request, RequestObserver observer, long now) {
        if (request.count() > settings.maxCount()) {
            throw new RequestRejectedException(ErrorCode.LIMIT_EXCEEDED,
                    "count must be at most " + settings.maxCount() + " on this worker, got " + request.count()
                            + "; split the request");
        }
        int timesteps = spec.schedule().timesteps();
        SamplingParameters asked = request.sampling();
        SamplerKind kind = samplerOf(asked);
        SamplerSettings sampler;
        if (kind == SamplerKind.DDPM) {
            if (asked.steps() != null && asked.steps() != timesteps) {
                throw new RequestRejectedException(ErrorCode.INVALID_REQUEST, "ddpm always takes all " + timesteps
                        + " steps of this model; leave steps out, or use ddim for fewer steps");
            }
            if (timesteps > settings.maxSteps()) {
                throw new RequestRejectedException(ErrorCode.LIMIT_EXCEEDED, "ddpm takes all " + timesteps
                        + " steps of this model, more than this worker's limit of " + settings.maxSteps()
                        + "; use ddim with at most that many steps");
            }
            sampler = SamplerSettings.ddpm(timesteps);
        } else {
            int steps = asked.steps() != null ? asked.steps() : Math.min(presetSteps(asked.preset(), kind), timesteps);
            int maxSteps = Math.min(settings.maxSteps(), timesteps);
            if (steps > maxSteps) {
                throw new RequestRejectedException(ErrorCode.LIMIT_EXCEEDED, kind.id() + " steps must be at most "
                        + maxSteps + " on this worker (model T = " + timesteps + "), got " + steps);
            }
            sampler = new SamplerSettings(kind, steps, asked.eta());
        }
        float[] context;
        try {
            context = request.conditioning().vector(spec.labels());
        } catch (UnknownLabelException e) {
            throw new RequestRejectedException(ErrorCode.UNKNOWN_LABEL, e.getMessage());
        }
        boolean drawn = asked.seed() == null;
        long seed = drawn ? seeds.nextLong() & Long.MAX_VALUE : asked.seed();
        Delivery delivery = request.delivery();
        int columns = delivery.columns() != null ? delivery.columns() : (int) Math.ceil(Math.sqrt(request.count()));
        String contextKey = canonical(request.conditioning());
        Outcome.EffectiveParameters parameters = new Outcome.EffectiveParameters(request.conditioning().describe(),
                request.count(), sampler, asked.guidance(), seed, drawn, columns, delivery.trajectory(),
                delivery.layout());
        // As a nanoTime instant; a quarter of the range keeps now + x free of overflow.
        long untilDeadline = request.deadline() == null ? Long.MAX_VALUE : nanosFromNowTo(request.deadline());
        long deadline = now + Math.max(-Long.MAX_VALUE / 4, Math.min(untilDeadline, Long.MAX_VALUE / 4));
        return new Job(request, parameters, context, contextKey, fingerprint(request, contextKey, sampler, columns),
                now, deadline, observer, settings.lifecycle().progressInterval().toNanos());
    }

    /** The request's sampler, else its preset's; eta without a sampler means DDIM, the one sampler it applies to. */
    private SamplerKind samplerOf(SamplingParameters asked) {
        if (asked.sampler() != null) {
            return asked.sampler();
        }
        if (asked.eta() != 0) {
            return SamplerKind.DDIM;
        }
        return asked.preset() == SamplingPreset.FAST ? settings.fastSampler() : settings.defaultSampler();
    }

    /** Steps of a request that names none: the preset's, which for "fast" depend on the sampler. */
    private int presetSteps(SamplingPreset preset, SamplerKind kind) {
        if (preset != SamplingPreset.FAST) {
            return settings.defaultDdimSteps();
        }
        return kind == SamplerKind.DDIM ? settings.fastDdimSteps() : settings.fastSolverSteps();
    }

    /**
     * SHA-256 of the parameters that decide the pixels, as sent (a missing seed stays "drawn", so a redelivery of a
     * request without a seed matches its first delivery) with defaults applied. Attributes and deadline are not part
     * of it: they do not change the images. The layout is (the same id stored as another layout is a CONFLICT), but
     * only when it is not the default grid: a grid request's fingerprint stays what it was before layouts existed, so
     * a redelivery of a request stored by an earlier worker version is still answered from its grid.
     */
    static String fingerprint(GenerationRequest r, String contextKey, SamplerSettings sampler, int columns) {
        String canonical = String.join("\n", FINGERPRINT_VERSION, "context=" + contextKey, "count=" + r.count(),
                "sampler=" + ResultStore.samplerId(sampler), "steps=" + sampler.steps(), "eta=" + sampler.eta(),
                "guidance=" + r.sampling().guidance(),
                "seed=" + (r.sampling().seed() == null ? "drawn" : r.sampling().seed().toString()),
                "columns=" + columns, "trajectory=" + r.delivery().trajectory());
        if (r.delivery().layout() != ResultLayout.GRID) {
            canonical += "\nlayout=" + r.delivery().layout().id();
        }
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(canonical.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(hash);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    static String canonical(Conditioning conditioning) {
        if (conditioning instanceof Conditioning.Label label) {
            return "label:" + label.name();
        }
        if (conditioning instanceof Conditioning.Mix mix) {
            StringBuilder s = new StringBuilder("mix:");
            new TreeMap<>(mix.weights()).forEach((name, w) -> s.append(name).append('=').append(w).append(';'));
            return s.toString();
        }
        return "none";
    }

    /** Nanoseconds from now to {@code when}, saturated at the ends of a long (any Instant is accepted). */
    static long nanosFromNowTo(Instant when) {
        Instant now = Instant.now();
        try {
            return Duration.between(now, when).toNanos();
        } catch (ArithmeticException beyondLong) {
            return when.isAfter(now) ? Long.MAX_VALUE : Long.MIN_VALUE;
        }
    }
}
