package org.diffusionworker.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.optimizer.Optimizer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Map;
import org.diffusionworker.model.DjlRuntime;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("native-memory")
class ResumableAdamTest {

    // One element starts a hair from its target: its gradient (1e-9) is below Adam's epsilon, where
    // DJL's Adam (epsilon not bias-corrected) and PyTorch's part ways.
    private static final float[] START = {0.5f, -1.5f, 2f, 0f, -0.75f, 1f};
    private static final float[] TARGET = {1f, 2f, -1f, 1e-9f, 3f, -2f};

    /** Steps of minimising |w - target|^2 / 2 from START with {@code optimizer}. */
    private static void steps(Optimizer optimizer, String id, NDArray w, NDArray target, int count) {
        for (int i = 0; i < count; i++) {
            try (NDManager step = w.getManager().newSubManager()) {
                NDArray grad;
                try (GradientCollector collector = step.getEngine().newGradientCollector()) {
                    // A factor made by full(), which libtorch owns: not div(2), whose operand DJL
                    // frees before backward reads it.
                    NDArray loss = w.sub(target).square().sum().mul(step.full(new Shape(), 0.5f));
                    loss.attach(step);
                    collector.backward(loss);
                }
                grad = w.getGradient();
                grad.attach(step);
                optimizer.update(id, w, grad);
            }
        }
    }

    private static NDArray weight(NDManager manager) {
        NDArray w = manager.create(START, new Shape(2, 3));
        w.setRequiresGradient(true);
        return w;
    }

    @Test
    void updatesAsTorchOptimAdamDoes() {
        DjlRuntime.engine();
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray target = manager.create(TARGET, new Shape(2, 3));
            NDArray ours = weight(manager);
            EpochLinearDecay rate = new EpochLinearDecay(0.1, 2, 3);
            steps(ResumableAdam.builder().optLearningRateTracker(rate).setStateManager(manager).build(), "w", ours,
                    target, 6);
            // torch.optim.Adam's update (its documented algorithm), in double.
            double[] w = new double[START.length];
            double[] m = new double[START.length];
            double[] v = new double[START.length];
            for (int i = 0; i < w.length; i++) {
                w[i] = START[i];
            }
            for (int t = 1; t <= 6; t++) {
                double lr = rate.getNewValue(t);
                double bc1 = 1 - Math.pow(0.9, t);
                double bc2 = 1 - Math.pow(0.999, t);
                for (int i = 0; i < w.length; i++) {
                    double g = w[i] - TARGET[i];
                    m[i] = 0.9 * m[i] + 0.1 * g;
                    v[i] = 0.999 * v[i] + 0.001 * g * g;
                    w[i] -= lr / bc1 * m[i] / (Math.sqrt(v[i]) / Math.sqrt(bc2) + 1e-8);
                }
            }
            float[] actual = ours.toFloatArray();
            for (int i = 0; i < w.length; i++) {
                assertEquals(w[i], actual[i], 1e-5, "element " + i);
            }
        }
    }

    @Test
    void savedAndRestoredStateContinuesExactlyAsAnUninterruptedOptimiser() throws Exception {
        DjlRuntime.engine();
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray target = manager.create(TARGET, new Shape(2, 3));
            NDArray whole = weight(manager);
            steps(ResumableAdam.builder().setStateManager(manager).build(), "w", whole, target, 8);

            Parameter first = parameter(weight(manager));
            ResumableAdam before = ResumableAdam.builder().setStateManager(manager).build();
            steps(before, first.getId(), first.getArray(), target, 5);
            ByteArrayOutputStream saved = new ByteArrayOutputStream();
            before.save(Map.of("layer.weight", first), saved);

            // As in a new process: another parameter id, a restored step count, restored moments.
            Parameter second = parameter(weight(manager));
            first.getArray().copyTo(second.getArray());
            ResumableAdam after = ResumableAdam.builder().optBeginNumUpdate(5).setStateManager(manager).build();
            after.load(Map.of("layer.weight", second), new ByteArrayInputStream(saved.toByteArray()));
            steps(after, second.getId(), second.getArray(), target, 3);

            assertArrayEquals(whole.toFloatArray(), second.getArray().toFloatArray());
        }
    }

    @Test
    void stateOfAnotherNetworkIsRefusedNamingTheParameter() throws IOException {
        DjlRuntime.engine();
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray target = manager.create(TARGET, new Shape(2, 3));
            Parameter w = parameter(weight(manager));
            ResumableAdam adam = ResumableAdam.builder().setStateManager(manager).build();
            steps(adam, w.getId(), w.getArray(), target, 1);
            ByteArrayOutputStream saved = new ByteArrayOutputStream();
            adam.save(Map.of("layer.weight", w), saved);

            Parameter wider = parameter(manager.zeros(new Shape(3, 3)));
            MalformedModelException e = assertThrows(MalformedModelException.class, () ->
                    ResumableAdam.builder().setStateManager(manager).build()
                            .load(Map.of("layer.weight", wider),
                                    new ByteArrayInputStream(saved.toByteArray())));
            assertEquals(true, e.getMessage().contains("layer.weight"), e.getMessage());
        }
    }

    private static Parameter parameter(NDArray array) {
        Parameter p = Parameter.builder().setName("weight").setType(Parameter.Type.WEIGHT).build();
        p.setArray(array);
        return p;
    }
}
