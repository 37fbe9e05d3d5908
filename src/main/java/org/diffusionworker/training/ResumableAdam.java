package org.diffusionworker.training;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.ParameterTracker;
import ai.djl.training.tracker.Tracker;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Adam (Kingma and Ba 2015, algorithm 1) as {@code torch.optim.Adam} computes it (checked against
 * it by {@code TrainingStepParityTest}), through the engine's fused {@code adamUpdate}, with moment
 * estimates that can be saved and restored, so a resumed run continues where it stopped rather
 * than with fresh moments.
 *
 * <p>DJL's own Adam keeps its moments in private maps keyed by parameter ids that are random per
 * process; here they are saved under the parameters' stable names. The step count that drives
 * the bias correction is restored through {@code optBeginNumUpdate}. Its arrays live in a
 * manager the caller owns.
 */
public final class ResumableAdam extends Optimizer {

    private static final String MEAN = "mean/";
    private static final String VARIANCE = "variance/";

    // DJL's Adam defaults, fixed: the model card records the optimiser with these values.
    private static final float BETA1 = 0.9f;
    private static final float BETA2 = 0.999f;
    private static final float EPSILON = 1e-8f;

    private final ParameterTracker learningRateTracker;
    private final NDManager stateManager;
    /** [mean, variance] per parameter id. */
    private final Map<String, NDArray[]> moments = new HashMap<>();

    private ResumableAdam(Builder builder) {
        super(builder);
        learningRateTracker = builder.learningRateTracker;
        stateManager = builder.stateManager;
        if (stateManager == null) {
            throw new IllegalArgumentException("ResumableAdam needs a manager for its state (setStateManager)");
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public void update(String parameterId, NDArray weight, NDArray grad) {
        int t = updateCount(parameterId);
        float learningRate = learningRateTracker.getNewValue(parameterId, t);
        // torch.optim.Adam: w -= lr / bc1 * m / (sqrt(v) / sqrt(bc2) + eps), bc_i = 1 - beta_i^t.
        // The engine's fused update computes w -= lr' * m / (sqrt(v) + eps'), so the bias corrections
        // go into lr' = lr * sqrt(bc2) / bc1 and eps' = eps * sqrt(bc2). (DJL's Adam passes eps
        // unscaled: 30x larger than PyTorch's at the first step, which slows parameters whose
        // gradients are small.)
        double coef1 = 1.0 - Math.pow(BETA1, t);
        double coef2 = 1.0 - Math.pow(BETA2, t);
        float corrected = (float) (learningRate * Math.sqrt(coef2) / coef1);
        float epsilon = (float) (EPSILON * Math.sqrt(coef2));
        if (!Float.isFinite(corrected)) {
            throw new IllegalStateException("learning rate is not finite at update " + t + ": " + corrected);
        }
        NDArray[] state = moments.computeIfAbsent(parameterId, k -> new NDArray[] {zeros(weight), zeros(weight)});
        // The engine's update also zeroes the weight's gradient (zero_(), a true zeroing, unlike
        // x - x, which keeps NaN), so the next backward pass starts from zero.
        weight.getNDArrayInternal().adamUpdate(new NDList(weight, grad, state[0], state[1]), new NDList(weight),
                learningRate, corrected, getWeightDecay(), rescaleGrad, clipGrad, BETA1, BETA2, epsilon, true, false);
    }

    private NDArray zeros(NDArray like) {
        NDArray zeros = like.zerosLike();
        zeros.attach(stateManager);
        return zeros;
    }

    /** Writes the moment estimates of {@code parameters} (name to parameter), in DJL's NDList encoding. */
    public void save(Map<String, Parameter> parameters, OutputStream out) throws IOException {
        NDList arrays = new NDList();
        for (Map.Entry<String, Parameter> e : parameters.entrySet()) {
            NDArray[] state = moments.get(e.getValue().getId());
            if (state == null) {
                continue; // never updated: its moments are zero and are recreated as such
            }
            arrays.add(named(state[0], MEAN + e.getKey()));
            arrays.add(named(state[1], VARIANCE + e.getKey()));
        }
        out.write(arrays.encode());
    }

    private static NDArray named(NDArray array, String name) {
        array.setName(name);
        return array;
    }

    /**
     * Restores moment estimates written by {@link #save} for {@code parameters} (name to
     * parameter of this process's network).
     *
     * @throws MalformedModelException when the saved state names parameters this network lacks or
     *     their shapes differ
     */
    public void load(Map<String, Parameter> parameters, InputStream in) throws IOException, MalformedModelException {
        NDList arrays = NDList.decode(stateManager, in.readAllBytes());
        Map<String, NDArray> byName = new HashMap<>();
        for (NDArray a : arrays) {
            byName.put(a.getName(), a);
        }
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, Parameter> e : parameters.entrySet()) {
            NDArray mean = byName.remove(MEAN + e.getKey());
            NDArray variance = byName.remove(VARIANCE + e.getKey());
            if (mean == null || variance == null) {
                continue;
            }
            NDArray weight = e.getValue().getArray();
            if (!mean.getShape().equals(weight.getShape()) || !variance.getShape().equals(weight.getShape())) {
                problems.add(e.getKey() + " has shape " + weight.getShape() + " but its saved moments "
                        + mean.getShape());
                continue;
            }
            moments.put(e.getValue().getId(), new NDArray[] {
                mean.toDevice(weight.getDevice(), false), variance.toDevice(weight.getDevice(), false)});
        }
        if (!byName.isEmpty()) {
            problems.add("saved state names parameters the network lacks: " + new TreeSet<>(byName.keySet()));
        }
        if (!problems.isEmpty()) {
            throw new MalformedModelException("optimizer state does not fit the network: " + problems);
        }
    }

    /** Builds a {@link ResumableAdam} (beta1 0.9, beta2 0.999, epsilon 1e-8, as DJL's Adam by default). */
    public static final class Builder extends OptimizerBuilder<Builder> {

        private ParameterTracker learningRateTracker = Tracker.fixed(0.001f);
        private NDManager stateManager;

        Builder() {}

        @Override
        protected Builder self() {
            return this;
        }

        public Builder optLearningRateTracker(ParameterTracker tracker) {
            this.learningRateTracker = tracker;
            return this;
        }

        /** Required: the manager that owns the moment estimates. */
        public Builder setStateManager(NDManager manager) {
            this.stateManager = manager;
            return this;
        }

        public ResumableAdam build() {
            return new ResumableAdam(this);
        }
    }
}
