package org.diffusionworker.training;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.function.Supplier;
import org.diffusionworker.model.DjlRuntime;

/**
 * An exponential moving average of the trained weights, as diffusers' {@code EMAModel} keeps it: after the n-th
 * optimiser step every trainable weight's average moves towards the weight,
 * {@code average -= (1 - d_n) (average - weight)}, with {@code d_n = min(decay, n / (9 + n))} and {@code d_1 = 0}
 * (diffusers' warm-up without power: early averages forget the random start quickly). BatchNorm's running
 * statistics are averages already and are not averaged again (diffusers averages parameters only).
 *
 * <p>The averages live in their own manager; {@link #withAveragedWeights} puts them into the network for the length
 * of one action (writing the model, drawing the preview) and then puts the trained weights back.
 */
public final class WeightAverage implements AutoCloseable {

    private final double decay;
    private final NDManager manager;
    /** Trainable parameters by seed name, in a fixed order. */
    private final Map<String, Parameter> parameters = new LinkedHashMap<>();
    private final Map<String, NDArray> averages = new HashMap<>();

    /**
     * Starts averaging {@code parameters} (the trainable ones among them) from their current values.
     *
     * @param decay the largest decay, in (0, 1); diffusers' default is 0.9999, its horizon 1 / (1 - decay) steps
     */
    public WeightAverage(Map<String, Parameter> parameters, double decay, NDManager parent) {
        if (!(decay > 0 && decay < 1)) {
            throw new IllegalArgumentException("EMA decay must be in (0, 1), got " + decay);
        }
        this.decay = decay;
        this.manager = parent.newSubManager();
        DjlRuntime.disableGradientsOnThisThread();
        parameters.forEach((name, p) -> {
            if (p.requiresGradient()) {
                this.parameters.put(name, p);
                averages.put(name, copy(p.getArray()));
            }
        });
    }

    public double decay() {
        return decay;
    }

    /** The decay of the {@code n}-th update (n from 1). */
    double decayAt(long n) {
        return n <= 1 ? 0 : Math.min(decay, n / (9.0 + n));
    }

    /** Moves every average towards its weight after the {@code n}-th optimiser step of the run (n from 1). */
    public void update(long n) {
        float keep = (float) decayAt(n);
        DjlRuntime.disableGradientsOnThisThread();
        try (NDManager step = manager.newSubManager()) {
            for (Map.Entry<String, Parameter> e : parameters.entrySet()) {
                NDArray average = averages.get(e.getKey());
                NDArray difference = average.sub(e.getValue().getArray());
                difference.attach(step);
                average.subi(difference.muli(1 - keep));
            }
        }
    }

    /** The average of one weight, by seed name (for tests). */
    NDArray averageOf(String name) {
        return Objects.requireNonNull(averages.get(name), name);
    }

    /** Runs {@code action} with the averages in the network's parameters, then restores the trained weights. */
    public <T> T withAveragedWeights(Supplier<T> action) {
        DjlRuntime.disableGradientsOnThisThread();
        Map<String, NDArray> trained = new HashMap<>();
        try (NDManager hold = manager.newSubManager()) {
            parameters.forEach((name, p) -> {
                NDArray kept = copy(p.getArray());
                kept.attach(hold);
                trained.put(name, kept);
                averages.get(name).copyTo(p.getArray());
            });
            try {
                return action.get();
            } finally {
                parameters.forEach((name, p) -> trained.get(name).copyTo(p.getArray()));
            }
        }
    }

    /**
     * Resumes from a checkpoint: the network holds the averages (the checkpoint's model); they become the averages
     * again, and the trained weights, the trainable ones among {@code saved} (a network loaded from the checkpoint's
     * model directory of trained weights), go back into the network.
     */
    void restoreTrainedWeights(Map<String, Parameter> saved) throws MalformedModelException {
        DjlRuntime.disableGradientsOnThisThread();
        List<String> problems = new ArrayList<>();
        parameters.forEach((name, p) -> {
            Parameter s = saved.get(name);
            if (s == null || !s.getArray().getShape().equals(p.getArray().getShape())) {
                problems.add(name + (s == null ? " is missing" : " has shape " + s.getArray().getShape()));
            }
        });
        TreeSet<String> extra = new TreeSet<>();
        saved.forEach((name, s) -> {
            if (s.requiresGradient() && !parameters.containsKey(name)) {
                extra.add(name);
            }
        });
        if (!extra.isEmpty()) {
            problems.add("weights the network lacks: " + extra);
        }
        if (!problems.isEmpty()) {
            throw new MalformedModelException("trained weights do not fit the network: " + problems);
        }
        parameters.forEach((name, p) -> saved.get(name).getArray().copyTo(p.getArray()));
    }

    @Override
    public void close() {
        manager.close();
    }

    private NDArray copy(NDArray array) {
        NDArray copy = array.duplicate();
        copy.attach(manager);
        return copy;
    }
}
