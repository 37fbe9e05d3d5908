package org.diffusionworker.generation;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What an image is conditioned on: one label, a weighted mix of labels, or nothing.
 *
 * <p>The network takes the context as a vector over the model's labels: one-hot for a label,
 * the given weights for a mix (not renormalised, as the course's examples), zeros for none.
 */
public sealed interface Conditioning {

    /** The context vector over {@code labels}, in their order. */
    float[] vector(List<String> labels);

    /** A short human-readable form, e.g. {@code sneaker} or {@code sneaker=0.6,bag=0.4}. */
    String describe();

    static Conditioning label(String name) {
        return new Label(name);
    }

    static Conditioning mix(Map<String, Double> weights) {
        return new Mix(weights);
    }

    static Conditioning unconditional() {
        return Unconditional.INSTANCE;
    }

    /**
     * Parses {@code name=weight[,name=weight...]}, e.g. {@code sneaker=0.6,bag=0.4}.
     *
     * @throws IllegalArgumentException naming the malformed part
     */
    static Conditioning parseMix(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("context mix is empty; expected e.g. sneaker=0.6,bag=0.4");
        }
        Map<String, Double> weights = new LinkedHashMap<>();
        for (String part : text.split(",")) {
            int eq = part.lastIndexOf('=');
            if (eq <= 0 || eq == part.length() - 1) {
                throw new IllegalArgumentException("context part '" + part.trim() + "' is not name=weight");
            }
            String name = part.substring(0, eq).trim();
            String number = part.substring(eq + 1).trim();
            try {
                if (weights.put(name, Double.parseDouble(number)) != null) {
                    throw new IllegalArgumentException("context names label '" + name + "' twice");
                }
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("context weight '" + number + "' for '" + name + "' is not a number");
            }
        }
        return new Mix(weights);
    }

    /** One label, as a one-hot vector. */
    record Label(String name) implements Conditioning {
        public Label {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("label must not be blank");
            }
        }

        @Override
        public float[] vector(List<String> labels) {
            float[] v = new float[labels.size()];
            v[indexOf(name, labels)] = 1f;
            return v;
        }

        @Override
        public String describe() {
            return name;
        }
    }

    /** Several labels with weights in [0, 1], at least one positive. */
    record Mix(Map<String, Double> weights) implements Conditioning {
        public Mix {
            if (weights == null || weights.isEmpty()) {
                throw new IllegalArgumentException("context mix must name at least one label");
            }
            for (Map.Entry<String, Double> e : weights.entrySet()) {
                Double w = e.getValue();
                if (w == null || !(w >= 0 && w <= 1)) {
                    throw new IllegalArgumentException(
                            "context weight for '" + e.getKey() + "' must be in [0, 1], got " + w);
                }
            }
            if (weights.values().stream().allMatch(w -> w == 0)) {
                throw new IllegalArgumentException("context mix has no positive weight; use no context instead");
            }
            weights = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(weights));
        }

        @Override
        public float[] vector(List<String> labels) {
            float[] v = new float[labels.size()];
            weights.forEach((name, w) -> v[indexOf(name, labels)] = w.floatValue());
            return v;
        }

        @Override
        public String describe() {
            StringBuilder s = new StringBuilder();
            weights.forEach((name, w) -> s.append(s.length() == 0 ? "" : ",").append(name).append('=').append(w));
            return s.toString();
        }
    }

    /** No context: the zero vector, which the network learned as "any label". */
    enum Unconditional implements Conditioning {
        INSTANCE;

        @Override
        public float[] vector(List<String> labels) {
            return new float[labels.size()];
        }

        @Override
        public String describe() {
            return "(unconditional)";
        }
    }

    private static int indexOf(String name, List<String> labels) {
        int index = labels.indexOf(name);
        if (index < 0) {
            throw new UnknownLabelException(name, labels);
        }
        return index;
    }
}
