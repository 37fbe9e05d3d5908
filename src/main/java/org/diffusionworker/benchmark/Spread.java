package org.diffusionworker.benchmark;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.DoubleUnaryOperator;

/** Repeated measurements of one quantity, reported as the median and the range (min-max). */
record Spread(List<Double> values) {

    Spread {
        if (values.isEmpty()) {
            throw new IllegalArgumentException("a spread needs at least one value");
        }
        values = List.copyOf(values);
    }

    /** {@code numerator[i] / denominator[i]} for each pair of repeats run next to each other. */
    static Spread pairedRatios(Spread numerator, Spread denominator) {
        if (numerator.values.size() != denominator.values.size()) {
            throw new IllegalArgumentException("paired ratios need as many repeats on each side");
        }
        List<Double> ratios = new ArrayList<>();
        for (int i = 0; i < numerator.values.size(); i++) {
            ratios.add(numerator.values.get(i) / denominator.values.get(i));
        }
        return new Spread(ratios);
    }

    double median() {
        List<Double> sorted = sorted();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    double min() {
        return sorted().get(0);
    }

    double max() {
        return sorted().get(values.size() - 1);
    }

    Spread map(DoubleUnaryOperator f) {
        return new Spread(values.stream().map(f::applyAsDouble).toList());
    }

    /** {@code median (min-max)}, each with {@code decimals} decimals. */
    String format(int decimals) {
        String f = "%." + decimals + "f";
        return String.format(Locale.ROOT, f + " (" + f + "-" + f + ")", median(), min(), max());
    }

    private List<Double> sorted() {
        return values.stream().sorted().toList();
    }
}
