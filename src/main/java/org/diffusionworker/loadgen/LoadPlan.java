package org.diffusionworker.loadgen;

import java.math.BigDecimal;
import java.math.MathContext;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import org.diffusionworker.client.Durations;
import org.diffusionworker.diffusion.ClassifierFreeGuidance;
import org.diffusionworker.diffusion.SamplerKind;
import org.diffusionworker.worker.Priority;
import org.diffusionworker.worker.ResultLayout;
import org.diffusionworker.worker.Scheduling;

/**
 * What {@code loadgen} sends and when: the mix of labels, image counts and samplers, the fixed request parameters,
 * and the pacing (a steady rate or a burst). The requests are drawn up front from one seeded {@link Random}, so the
 * same options and seed give the same sequence of requests.
 *
 * @param labels   the label of each request
 * @param counts   the image count of each request
 * @param samplers a sampler id ({@code ddim}, {@code ddpm}, {@code dpmpp-2m}, {@code unipc}) for each request
 * @param steps    DDIM steps (DDPM requests name none: the worker takes the model's T)
 * @param guidance the classifier-free guidance weight, or null to leave the worker's default
 * @param layout   {@code grid}, {@code images} or {@code both} for every request, or null to leave the default (grid)
 * @param seed     seeds the draws (and, through them, each request's image seed)
 * @param pacing   how many requests, and how far apart
 * @param tenants  the tenant of each request; null to name none
 * @param priorities the priority of each request; null to name none
 */
public record LoadPlan(Proportions<String> labels, Proportions<Integer> counts, Proportions<String> samplers, int steps,
        Double guidance, String layout, long seed, Pacing pacing, Proportions<String> tenants,
        Proportions<String> priorities) {

    public LoadPlan(Proportions<String> labels, Proportions<Integer> counts, Proportions<String> samplers, int steps,
            Double guidance, String layout, long seed, Pacing pacing) {
        this(labels, counts, samplers, steps, guidance, layout, seed, pacing, null, null);
    }

    /** The Fashion-MNIST ten, in the shipped model's order: the labels drawn from unless told others. */
    public static final List<String> FASHION_MNIST_LABELS = List.of("t-shirt/top", "trouser", "pullover", "dress",
            "coat", "sandal", "shirt", "sneaker", "bag", "ankle-boot");
    public static final int MAX_REQUESTS = 100_000;
    public static final Duration MAX_SPAN = Duration.ofHours(1);
    static final int MAX_COUNT = 4096;
    static final int MAX_STEPS = 10_000;
    static final List<String> SAMPLERS = Arrays.stream(SamplerKind.values()).map(SamplerKind::id).toList();

    public LoadPlan {
        Objects.requireNonNull(labels, "labels");
        Objects.requireNonNull(counts, "counts");
        Objects.requireNonNull(samplers, "samplers");
        Objects.requireNonNull(pacing, "pacing");
        if (steps < 1 || steps > MAX_STEPS) {
            throw new IllegalArgumentException("--steps must be 1.." + MAX_STEPS + ", got " + steps);
        }
        if (guidance != null && !(guidance >= 0 && guidance <= ClassifierFreeGuidance.MAX_WEIGHT)) {
            throw new IllegalArgumentException(
                    "--guidance must be in [0, " + ClassifierFreeGuidance.MAX_WEIGHT + "], got " + guidance);
        }
        if (layout != null && ResultLayout.byId(layout) == null) {
            throw new IllegalArgumentException("--layout must be grid, images or both, got '" + layout + "'");
        }
    }

    /**
     * When requests go out: {@code requests} of them, the n-th at {@code n * intervalNanos} after the first (all at
     * once for a burst, interval 0).
     */
    public record Pacing(int requests, long intervalNanos) {

        public Pacing {
            if (requests < 1 || requests > MAX_REQUESTS) {
                throw new IllegalArgumentException("a run sends 1.." + MAX_REQUESTS + " requests; this one would send "
                        + requests);
            }
            if (intervalNanos < 0) {
                throw new IllegalArgumentException("negative interval " + intervalNanos);
            }
            double span = (requests - 1) * (double) intervalNanos;
            if (span > MAX_SPAN.toNanos()) {
                throw new IllegalArgumentException(String.format(Locale.ROOT,
                        "a run lasts at most %s; %d requests at this rate take %.0f s", human(MAX_SPAN), requests,
                        span / 1e9));
            }
        }

        /** All {@code requests} at once. */
        public static Pacing burst(int requests) {
            return new Pacing(requests, 0);
        }

        /** {@code rate} requests per second for {@code duration}: rate x seconds of them (at least one). */
        public static Pacing steady(double rate, Duration duration) {
            checkRate(rate);
            if (duration.isNegative() || duration.isZero()) {
                throw new IllegalArgumentException("--duration must be positive, got " + human(duration));
            }
            if (duration.compareTo(MAX_SPAN) > 0) {
                throw new IllegalArgumentException("--duration is at most " + human(MAX_SPAN) + ", got "
                        + human(duration));
            }
            double n = Math.floor(rate * duration.toNanos() / 1e9 + 1e-9);
            if (n > MAX_REQUESTS) {
                throw new IllegalArgumentException(String.format(Locale.ROOT,
                        "--rate %s for %s is %.0f requests; a run sends at most %d", number(rate), human(duration), n,
                        MAX_REQUESTS));
            }
            return steady(rate, (int) Math.max(1, n));
        }

        /**
         * The pacing the command line asks for, each null when not given: {@code burst} alone, or {@code rate} with
         * exactly one of {@code duration} and {@code requests}; any other mix is refused with the options named.
         */
        public static Pacing of(Integer burst, Double rate, String duration, Integer requests) {
            if (burst != null) {
                if (rate != null || duration != null || requests != null) {
                    throw new IllegalArgumentException("--burst sends everything at once: leave out --rate, --duration"
                            + " and --requests");
                }
                return burst(burst);
            }
            if (rate == null) {
                throw new IllegalArgumentException("say how much load: --rate R with --duration D or --requests N, or"
                        + " --burst N");
            }
            if ((duration == null) == (requests == null)) {
                throw new IllegalArgumentException("--rate needs exactly one of --duration D and --requests N");
            }
            return duration != null ? steady(rate, Durations.parse(duration)) : steady(rate, requests);
        }

        /** {@code requests} of them at {@code rate} per second. */
        public static Pacing steady(double rate, int requests) {
            checkRate(rate);
            return new Pacing(requests, Math.max(1, Math.round(1e9 / rate)));
        }

        private static void checkRate(double rate) {
            if (!(rate > 0) || rate > 10_000) {
                throw new IllegalArgumentException("--rate must be > 0 and at most 10000 requests/s, got "
                        + number(rate));
            }
        }

        boolean isBurst() {
            return intervalNanos == 0;
        }

        /** Requests per second (infinite for a burst). */
        double rate() {
            return isBurst() ? Double.POSITIVE_INFINITY : 1e9 / intervalNanos;
        }

        /** "burst of 12" or "2 requests/s, 120 requests over 59.5 s". */
        String describe() {
            return isBurst() ? "burst of " + requests + " requests at once"
                    : String.format(Locale.ROOT, "%s requests/s, %d requests over %.1f s", number(rate()), requests,
                            (requests - 1) * intervalNanos / 1e9);
        }
    }

    /**
     * The label proportions of {@code --label-mix}: named labels take their weight; {@code *} spreads its weight
     * evenly over the labels of {@code allLabels} that the mix does not name. Every named label must be one of
     * {@code allLabels}.
     */
    public static Proportions<String> labelMix(String text, List<String> allLabels) {
        Map<String, Double> given = Proportions.parseWeights("--label-mix", text);
        Map<String, Double> weights = new LinkedHashMap<>();
        Double rest = given.remove("*");
        given.forEach((label, w) -> weights.put(knownLabel("--label-mix", label, allLabels), w));
        if (rest != null) {
            List<String> others = allLabels.stream().filter(l -> !weights.containsKey(l)).toList();
            if (others.isEmpty() && rest > 0) {
                throw new IllegalArgumentException("--label-mix: '*' would spread " + number(rest)
                        + " over the other labels, but the mix names all of --all-labels already");
            }
            others.forEach(l -> weights.put(l, rest / others.size()));
        }
        return Proportions.of("--label-mix", weights);
    }

    /**
     * The label proportions of {@code --labels} or {@code --label-mix} (not both; neither: all labels equally), over
     * {@code --all-labels} (null or empty: {@link #FASHION_MNIST_LABELS}).
     */
    public static Proportions<String> labels(List<String> labels, String labelMix, List<String> allLabels) {
        List<String> known = allLabels == null || allLabels.isEmpty() ? FASHION_MNIST_LABELS
                : allLabels.stream().map(String::trim).toList();
        if (labels != null && labelMix != null) {
            throw new IllegalArgumentException("give --labels or --label-mix, not both");
        }
        return labelMix != null ? labelMix(labelMix, known)
                : labelList(labels != null ? labels.stream().map(String::trim).toList() : known, known);
    }

    /** Equal shares of the labels listed (each one of {@code allLabels}). */
    public static Proportions<String> labelList(List<String> labels, List<String> allLabels) {
        return Proportions.uniform("--labels", labels.stream().map(l -> knownLabel("--labels", l, allLabels)).toList());
    }

    /** {@code "1=0.5,4=0.3,16=0.2"}: image counts 1..{@value #MAX_COUNT}. */
    public static Proportions<Integer> counts(String text) {
        return Proportions.parse("--counts", text, name -> {
            int count;
            try {
                count = Integer.parseInt(name);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--counts: '" + name + "' is not an image count; write e.g."
                        + " 1=0.5,4=0.3,16=0.2");
            }
            if (count < 1 || count > MAX_COUNT) {
                throw new IllegalArgumentException("--counts: image counts are 1.." + MAX_COUNT + ", got " + count);
            }
            return count;
        });
    }

    /** {@code "ddim=0.9,ddpm=0.1"}. */
    public static Proportions<String> samplers(String text) {
        return Proportions.parse("--samplers", text, name -> {
            String sampler = name.toLowerCase(Locale.ROOT);
            if (!SAMPLERS.contains(sampler)) {
                throw new IllegalArgumentException("--samplers: unknown sampler '" + name + "'; the worker knows "
                        + SamplerKind.choices());
            }
            return sampler;
        });
    }

    private static String knownLabel(String option, String label, List<String> allLabels) {
        if (!allLabels.contains(label)) {
            throw new IllegalArgumentException(option + ": '" + label + "' is not one of --all-labels ("
                    + String.join(", ", allLabels) + "); add it there to send it anyway");
        }
        return label;
    }

    /** The tenant proportions of {@code --tenants}, e.g. {@code a=3,b=1}. */
    public static Proportions<String> tenants(String text) {
        return Proportions.parse("--tenants", text, name -> {
            try {
                return Scheduling.requireValidTenant(name);
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("--tenants: " + e.getMessage());
            }
        });
    }

    /** The priority proportions of {@code --priorities}, e.g. {@code high=1,normal=8,low=1}. */
    public static Proportions<String> priorities(String text) {
        return Proportions.parse("--priorities", text, name -> {
            if (Priority.byId(name) == null) {
                throw new IllegalArgumentException("--priorities: '" + name + "' is not a priority; use "
                        + Priority.choices());
            }
            return name;
        });
    }

    /** The requests of one run, ids {@code loadgen-<run>-<n>} with n from 1. */
    List<LoadRequest> requests(String run) {
        Random random = new Random(seed);
        List<LoadRequest> requests = new ArrayList<>(pacing.requests());
        for (int n = 1; n <= pacing.requests(); n++) {
            String label = labels.draw(random);
            int count = counts.draw(random);
            String sampler = samplers.draw(random);
            long imageSeed = random.nextLong() & Long.MAX_VALUE;
            // Drawn only when asked for, so a seed without mixes gives the requests it always gave.
            String tenant = tenants == null ? null : tenants.draw(random);
            String priority = priorities == null ? null : priorities.draw(random);
            requests.add(new LoadRequest(n, "loadgen-" + run + "-" + n, label, count, sampler,
                    SamplerKind.parse(sampler).takesSteps() ? steps : null, guidance, layout, imageSeed, tenant,
                    priority));
        }
        return requests;
    }

    static String human(Duration d) {
        long s = d.toSeconds();
        return s % 3600 == 0 && s > 0 ? s / 3600 + "h" : s % 60 == 0 && s > 0 ? s / 60 + "m"
                : d.toMillis() % 1000 == 0 ? s + "s" : d.toMillis() + "ms";
    }

    /** "2", "0.5", "0.3333": at most four significant digits, no trailing zeros. */
    static String number(double v) {
        if (!Double.isFinite(v)) {
            return Double.toString(v);
        }
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v)
                : new BigDecimal(v).round(new MathContext(4)).stripTrailingZeros().toPlainString();
    }
}
