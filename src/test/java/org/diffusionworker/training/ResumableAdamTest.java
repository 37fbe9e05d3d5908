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
import org.junit.jupiter.api.Test;

class ResumableAdamTest {

    private static final float[] START = {0.5f, -1.5f, 2f, 0.25f, -0.75f, 1f};
    private static final float[] TARGET = {1f, 2f, -1f, 0f, 3f, -2f};

    /** Steps of minimising |w - target|^2 / 2 from START with {@code optimizer}. */
    private static void steps(Optimizer optimizer, String id, NDArray w, NDArray target, int count) {
        for (int i = 0; i < count; i++) {
            try (NDManager step = w.getManager().newSubManager()) {
                NDArray grad;
                try (GradientCollector collector = step.getEngine().newGradientCollector()) {
                    NDArray loss = w.sub(target).square().sum().div(2);
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
    void updatesExactlyAsDjlsAdam() {
        DjlRuntime.engine();
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray target = manager.create(TARGET, new Shape(2, 3));
            NDArray reference = weight(manager);
            NDArray ours = weight(manager);
            steps(Optimizer.adam().optLearningRateTracker(new EpochLinearDecay(0.1, 2, 3)).build(), "w",
                    reference, target, 6);
            steps(ResumableAdam.builder().optLearningRateTracker(new EpochLinearDecay(0.1, 2, 3))
                    .setStateManager(manager).build(), "w", ours, target, 6);
            assertArrayEquals(reference.toFloatArray(), ours.toFloatArray());
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
