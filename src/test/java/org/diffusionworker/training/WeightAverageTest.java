package org.diffusionworker.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.diffusionworker.model.DjlRuntime;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The moving average of the weights against the same recurrence in double, and its swap in and out. */
@Tag("native-memory")
class WeightAverageTest {

    private static final int SIZE = 37;

    @Test
    void followsDiffusersRecurrenceInDouble() {
        DjlRuntime.engine();
        try (NDManager manager = NDManager.newBaseManager()) {
            Parameter w = parameter(manager, "w", true);
            Parameter frozen = parameter(manager, "running_mean", false);
            Map<String, Parameter> parameters = new LinkedHashMap<>(Map.of("w", w, "running_mean", frozen));
            WeightAverage average = new WeightAverage(parameters, 0.9, manager);
            double[] expected = toDouble(w.getArray().toFloatArray());
            Random random = new Random(3);
            for (int n = 1; n <= 40; n++) {
                float[] next = new float[SIZE];
                for (int i = 0; i < SIZE; i++) {
                    next[i] = (float) random.nextGaussian();
                }
                w.getArray().set(next);
                average.update(n);
                // diffusers' EMAModel.get_decay without warm-up power: 0 at the first step, then (1+s)/(10+s).
                double d = n == 1 ? 0 : Math.min(0.9, (1.0 + (n - 1)) / (10.0 + (n - 1)));
                for (int i = 0; i < SIZE; i++) {
                    expected[i] -= (1 - d) * (expected[i] - next[i]);
                }
                assertArrayEquals(expected, toDouble(average.averageOf("w").toFloatArray()), 1e-5, "step " + n);
            }
            assertEquals(0.9, average.decayAt(1000));
            assertThrows(NullPointerException.class, () -> average.averageOf("running_mean"),
                    "BatchNorm statistics are not averaged");
            average.close();
        }
    }

    @Test
    void swapsTheAveragesInForOneActionAndRestoresTheTrainedWeights() throws Exception {
        DjlRuntime.engine();
        try (NDManager manager = NDManager.newBaseManager()) {
            Parameter w = parameter(manager, "w", true);
            WeightAverage average = new WeightAverage(Map.of("w", w), 0.5, manager);
            float[] start = w.getArray().toFloatArray();
            float[] trained = new float[SIZE];
            java.util.Arrays.fill(trained, 2f);
            w.getArray().set(trained);
            average.update(2); // d_2 = 2/11
            float[] averaged = average.averageOf("w").toFloatArray();
            NDArray identity = w.getArray();
            float[] seen = average.withAveragedWeights(() -> w.getArray().toFloatArray());
            assertArrayEquals(averaged, seen, "the action sees the averages");
            assertArrayEquals(trained, w.getArray().toFloatArray(), "the trained weights are back");
            assertEquals(identity, w.getArray(), "in place: the parameter keeps its array");
            assertEquals(start[0] + (2f - start[0]) * 9f / 11f, averaged[0], 1e-6f);

            // A resumed run: the network holds the averages (the checkpoint's model); the trained weights come back
            // from the network of the checkpoint's trained/ model directory.
            Parameter saved = parameter(manager, "w", true);
            saved.getArray().set(trained);
            Parameter savedStatistic = parameter(manager, "running_mean", false);
            w.getArray().set(averaged);
            WeightAverage resumed = new WeightAverage(Map.of("w", w), 0.5, manager);
            resumed.restoreTrainedWeights(Map.of("w", saved, "running_mean", savedStatistic));
            assertArrayEquals(trained, w.getArray().toFloatArray());
            assertArrayEquals(averaged, resumed.averageOf("w").toFloatArray());

            MalformedModelException missing = assertThrows(MalformedModelException.class,
                    () -> resumed.restoreTrainedWeights(Map.of("v", saved)));
            assertTrue(missing.getMessage().contains("w is missing")
                    && missing.getMessage().contains("weights the network lacks: [v]"), missing.getMessage());
            average.close();
            resumed.close();
        }
    }

    private static Parameter parameter(NDManager manager, String name, boolean trainable) {
        Parameter p = Parameter.builder().setName(name).setType(Parameter.Type.WEIGHT)
                .optRequiresGrad(trainable).build();
        float[] values = new float[SIZE];
        Random random = new Random(name.hashCode());
        for (int i = 0; i < SIZE; i++) {
            values[i] = (float) random.nextGaussian();
        }
        p.setArray(manager.create(values));
        if (trainable) {
            p.getArray().setRequiresGradient(true);
        }
        return p;
    }

    private static double[] toDouble(float[] values) {
        double[] d = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            d[i] = values[i];
        }
        return d;
    }
}
