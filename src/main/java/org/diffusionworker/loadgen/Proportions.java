package org.diffusionworker.loadgen;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;

/**
 * Values with weights, written {@code "1=0.5,4=0.3,16=0.2"} on the command line, and draws from them in proportion
 * to the weights. Weights need not sum to 1 (they are normalised), but each must be finite and non-negative and their
 * total positive; a value without {@code =weight} weighs 1.
 */
public final class Proportions<T> {

    private final List<T> values;
    private final double[] cumulative;

    private Proportions(Map<T, Double> weights) {
        this.values = List.copyOf(weights.keySet());
        this.cumulative = new double[values.size()];
        double total = weights.values().stream().mapToDouble(Double::doubleValue).sum();
        double sum = 0;
        int lastPositive = 0;
        for (int i = 0; i < values.size(); i++) {
            double w = weights.get(values.get(i));
            sum += w / total;
            cumulative[i] = sum;
            lastPositive = w > 0 ? i : lastPositive;
        }
        // Rounding must not leave a gap above the last value that can be drawn.
        for (int i = lastPositive; i < cumulative.length; i++) {
            cumulative[i] = 1;
        }
    }

    /** Checks the weights (finite, non-negative, positive total) and keeps their order. */
    static <T> Proportions<T> of(String option, Map<T, Double> weights) {
        if (weights.isEmpty()) {
            throw new IllegalArgumentException(option + " needs at least one value");
        }
        double total = 0;
        for (Map.Entry<T, Double> e : weights.entrySet()) {
            double w = e.getValue();
            if (!Double.isFinite(w) || w < 0) {
                throw new IllegalArgumentException(option + ": the weight of '" + e.getKey()
                        + "' must be a finite number >= 0, got " + w);
            }
            total += w;
        }
        if (!(total > 0)) {
            throw new IllegalArgumentException(option + ": the proportions sum to " + total
                    + "; at least one must be > 0");
        }
        return new Proportions<>(new LinkedHashMap<>(weights));
    }

    /** Every value with the same weight. */
    static <T> Proportions<T> uniform(String option, List<T> values) {
        Map<T, Double> weights = new LinkedHashMap<>();
        for (T v : values) {
            if (weights.put(v, 1.0) != null) {
                throw new IllegalArgumentException(option + " names '" + v + "' twice");
            }
        }
        return of(option, weights);
    }

    /**
     * Parses {@code "a=0.5,b=0.3,c"} into weights by name, in the order written ({@code c} weighs 1). Names are
     * trimmed; a name given twice, an empty name or a weight that is not a number is refused with the option named.
     */
    static Map<String, Double> parseWeights(String option, String text) {
        Map<String, Double> weights = new LinkedHashMap<>();
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException(option + " needs at least one value, e.g. a=0.7,b=0.3");
        }
        for (String part : text.split(",", -1)) {
            int eq = part.lastIndexOf('=');
            String name = (eq < 0 ? part : part.substring(0, eq)).trim();
            if (name.isEmpty()) {
                throw new IllegalArgumentException(option + ": empty entry in '" + text + "'; write name=weight,...");
            }
            double weight = 1;
            if (eq >= 0) {
                String number = part.substring(eq + 1).trim();
                try {
                    weight = Double.parseDouble(number);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException(option + ": the weight of '" + name + "' is not a number: '"
                            + number + "'");
                }
            }
            if (weights.put(name, weight) != null) {
                throw new IllegalArgumentException(option + " names '" + name + "' twice");
            }
        }
        return weights;
    }

    /** {@link #parseWeights} with each name turned into a value by {@code key} (which throws for a bad name). */
    static <T> Proportions<T> parse(String option, String text, Function<String, T> key) {
        Map<T, Double> weights = new LinkedHashMap<>();
        parseWeights(option, text).forEach((name, weight) -> {
            if (weights.put(key.apply(name), weight) != null) {
                throw new IllegalArgumentException(option + " names '" + name + "' twice");
            }
        });
        return of(option, weights);
    }

    /** One value, drawn with probability proportional to its weight. */
    T draw(Random random) {
        double u = random.nextDouble();
        for (int i = 0; i < cumulative.length; i++) {
            if (u < cumulative[i]) {
                return values.get(i);
            }
        }
        throw new IllegalStateException("no value for " + u);
    }

    /** Each value's share of the total, in [0, 1], in the order given. */
    Map<T, Double> shares() {
        Map<T, Double> shares = new LinkedHashMap<>();
        double previous = 0;
        for (int i = 0; i < values.size(); i++) {
            shares.put(values.get(i), cumulative[i] - previous);
            previous = cumulative[i];
        }
        return Collections.unmodifiableMap(shares);
    }

    List<T> values() {
        return values;
    }

    /** "sneaker 80%, bag 20%". */
    @Override
    public String toString() {
        List<String> parts = new ArrayList<>();
        shares().forEach((v, s) -> parts.add(String.format(Locale.ROOT, "%s %.3g%%", v, s * 100)));
        return String.join(", ", parts);
    }
}
