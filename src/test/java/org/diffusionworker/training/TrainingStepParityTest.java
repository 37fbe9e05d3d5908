package org.diffusionworker.training;

import static org.diffusionworker.testing.Gradients.assertWithin;
import static org.diffusionworker.testing.Gradients.maxAbs;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import java.util.Map;
import org.diffusionworker.diffusion.NoiseSchedule;
import org.diffusionworker.model.ContextUnet;
import org.diffusionworker.model.ModelLoader;
import org.diffusionworker.model.ModelSpec;
import org.diffusionworker.model.SeedParameterNames;
import org.diffusionworker.testing.Fixtures;
import org.diffusionworker.testing.GarbageCollectorStorm;
import org.diffusionworker.testing.Gradients;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The trainer's step (noising, forward with BatchNorm on batch statistics, MSE, backward, Adam)
 * equals torch.optim.Adam on the PyTorch ContextUnet in float64
 * (tools/reference/make_training_fixtures.py), three steps on one batch, with either forward: the
 * network's blocks, or the scripted one that {@code --precision bf16} runs, in its float32 twin.
 * Every comparison runs several times in one JVM on fresh networks (the blocks three, the script
 * two), the last under a garbage-collector storm, so native memory left over from an earlier run,
 * or freed under a running one, shows.
 *
 * <p>Each of the trainer's steps starts from the reference's state after the step before (weights
 * and BatchNorm statistics; Adam's moments are the trainer's own), because the trajectories of any
 * two float32 implementations part after a step or two: the seed's max-pooling routes the gradient
 * through the largest of four values, and a weight that differs by a rounding error picks the
 * other one of a near tie (measured: one weight 4e-5 apart after step 1 changes up to 2% of some
 * of step 2's gradients). From the same state, the step agrees to rounding.
 *
 * <p>Tolerances, relative to the largest reference value of the compared tensor: 1e-4 for the
 * losses, gradients, BatchNorm statistics and weights (the float32 path is good to a few 1e-6),
 * with a floor of 1e-6 of the largest gradient for gradients that are zero in exact arithmetic
 * (a conv bias before a BatchNorm: float32 leaves about 4e-8 of the largest there). A weight whose
 * reference gradient is below that floor, at this step or the one before, may be 2 lr away: Adam
 * divides each element's step by its gradient's own magnitude, so for such an element rounding
 * alone picks a step anywhere in [-lr, lr]. The optimiser itself is checked tightly, from the
 * reference's own gradients; the free-running trainer over three steps only by its losses (1e-3).
 */
@Tag("native-memory")
class TrainingStepParityTest {

    private static final double LEARNING_RATE = 1e-3;
    private static final double RELATIVE_TOLERANCE = 1e-4;
    private static final double FLOAT32_GRADIENT_FLOOR = 1e-6;
    private static final int STEPS = 3;
    private static final int RUNS = 3;

    /** The scripted forward of {@code --precision bf16} in float32 (tools/reference/export_training_forward.py). */
    static final String SCRIPTED_FP32 = "contextunet-train-fp32.pt";

    /**
     * Both forwards: the network's blocks, and the TorchScript function that bf16 training runs, here in its float32
     * twin (the same script without the casts), so the scripted structure is held to the same float64 reference.
     */
    @ParameterizedTest
    @CsvSource({"gray28, blocks", "rgb16, blocks", "gray28, scripted", "rgb16, scripted"})
    void trainerStepsEqualTorchInFloat64(String config, String forward) throws InterruptedException {
        // The scripted forward shares the blocks' native kernels; one plain run and the storm keep the suite short.
        int runs = forward.equals("blocks") ? RUNS : 2;
        for (int run = 1; run <= runs; run++) {
            try (GarbageCollectorStorm storm = run == runs ? new GarbageCollectorStorm() : null) {
                compareTrainerSteps(config, forward, "run " + run + " of " + config + ", " + forward + ": ");
            }
        }
    }

    /** A training step of {@code network} whose forward is the network's blocks or the scripted float32 twin. */
    static TrainingStep step(String forward, ContextUnet network, ResumableAdam adam, NDManager root) {
        return switch (forward) {
            case "blocks" -> new TrainingStep(network, adam, root);
            case "scripted" -> new TrainingStep(network, adam, root,
                    ScriptedTrainingForward.load(SCRIPTED_FP32, network, root.getDevice()));
            default -> throw new IllegalArgumentException(forward);
        };
    }

    @ParameterizedTest
    @ValueSource(strings = {"gray28", "rgb16"})
    void adamEqualsTorchAdamGivenTheSameGradients(String config) {
        ModelSpec spec = Fixtures.spec(config);
        try (NDManager root = NDManager.newBaseManager()) {
            Map<String, NDArray> ref = Fixtures.arrays(root, config, "train_step.npz");
            ContextUnet network = ModelLoader.trainableNetwork(Fixtures.stateDict(config), spec, root);
            Map<String, Parameter> params = SeedParameterNames.of(network);
            ResumableAdam adam = adam(root);
            for (int step = 1; step <= STEPS; step++) {
                for (Map.Entry<String, Parameter> e : params.entrySet()) {
                    if (e.getValue().requiresGradient()) {
                        adam.update(e.getValue().getId(), e.getValue().getArray(), ref.get("grad" + step + "/" + e.getKey()));
                    }
                }
                if (step == 1 || step == STEPS) {
                    for (Map.Entry<String, Parameter> e : params.entrySet()) {
                        if (e.getValue().requiresGradient()) {
                            NDArray reference = ref.get("after" + step + "/" + e.getKey());
                            assertWithin(config + " Adam step " + step + ": " + e.getKey(), e.getValue().getArray(),
                                    reference, RELATIVE_TOLERANCE * maxAbs(reference));
                        }
                    }
                }
            }
        }
    }

    static ResumableAdam adam(NDManager root) {
        // The trainer's optimiser and schedule; in the first epoch the rate is the given one.
        return ResumableAdam.builder()
                .optLearningRateTracker(new EpochLinearDecay(LEARNING_RATE, 1, STEPS))
                .setStateManager(root.newSubManager())
                .build();
    }

    private static void compareTrainerSteps(String config, String forward, String at) {
        ModelSpec spec = Fixtures.spec(config);
        try (NDManager root = NDManager.newBaseManager()) {
            Map<String, NDArray> ref = Fixtures.arrays(root, config, "train_step.npz");
            ContextUnet network = ModelLoader.trainableNetwork(Fixtures.stateDict(config), spec, root);
            Map<String, Parameter> params = SeedParameterNames.of(network);
            try (TrainingStep step = step(forward, network, adam(root), root)) {
                compareSteps(at, step, spec, ref, params, root);
            }
        }
    }

    private static void compareSteps(String at, TrainingStep step, ModelSpec spec, Map<String, NDArray> ref,
            Map<String, Parameter> params, NDManager root) {
        DiffusionBatch batch = batch(spec, ref);
        assertArrayEquals(ref.get("x_t").toFloatArray(), batch.noisy(), 1e-6f, at + "noised batch x_t");
        float[] losses = ref.get("loss").toFloatArray();
        double floor = FLOAT32_GRADIENT_FLOOR * gradientScale(params, ref);
        for (int i = 1; i <= STEPS; i++) {
            if (i > 1) {
                // From the reference's state (see the class comment).
                String before = "after" + (i - 1) + "/";
                params.forEach((name, p) -> Gradients.assign(p, ref.get(before + name)));
            }
            float loss;
            try (NDManager manager = root.newSubManager()) {
                loss = step.backward(batch, manager);
                for (Map.Entry<String, Parameter> e : params.entrySet()) {
                    if (e.getValue().requiresGradient()) {
                        NDArray reference = ref.get("grad" + i + "/" + e.getKey());
                        assertWithin(at + "step " + i + " gradient of " + e.getKey(),
                                e.getValue().getArray().getGradient(), reference,
                                Math.max(RELATIVE_TOLERANCE * maxAbs(reference), floor));
                    }
                }
                step.update();
            }
            assertEquals(losses[i - 1], loss, RELATIVE_TOLERANCE * losses[i - 1], at + "loss of step " + i);
            assertState(at + "after step " + i + ": ", params, ref, i, floor);
        }
    }

    @ParameterizedTest
    @CsvSource({"gray28, blocks", "rgb16, blocks", "gray28, scripted", "rgb16, scripted"})
    void freeRunningTrainerFollowsTheReferenceLosses(String config, String forward) {
        ModelSpec spec = Fixtures.spec(config);
        try (NDManager root = NDManager.newBaseManager()) {
            Map<String, NDArray> ref = Fixtures.arrays(root, config, "train_step.npz");
            ContextUnet network = ModelLoader.trainableNetwork(Fixtures.stateDict(config), spec, root);
            try (TrainingStep step = step(forward, network, adam(root), root)) {
                DiffusionBatch batch = batch(spec, ref);
                float[] losses = ref.get("loss").toFloatArray();
                for (int i = 1; i <= STEPS; i++) {
                    assertEquals(losses[i - 1], step.run(batch, root), 1e-3 * losses[i - 1],
                            config + ", " + forward + ": loss of step " + i);
                }
            }
        }
    }

    /** The fixture's batch, noised as the trainer noises it. */
    static DiffusionBatch batch(ModelSpec spec, Map<String, NDArray> ref) {
        ModelSpec.Schedule s = spec.schedule();
        return DiffusionBatch.of(ref.get("x0").toFloatArray(), ref.get("noise").toFloatArray(),
                ref.get("t").toType(DataType.INT32, false).toIntArray(), ref.get("c").toFloatArray(),
                new NoiseSchedule(s.timesteps(), s.beta1(), s.beta2()));
    }

    private static double gradientScale(Map<String, Parameter> params, Map<String, NDArray> ref) {
        double scale = 0;
        for (Map.Entry<String, Parameter> e : params.entrySet()) {
            if (e.getValue().requiresGradient()) {
                scale = Math.max(scale, maxAbs(ref.get("grad1/" + e.getKey())));
            }
        }
        return scale;
    }

    private static void assertState(String at, Map<String, Parameter> params, Map<String, NDArray> ref, int step,
            double floor) {
        for (Map.Entry<String, Parameter> e : params.entrySet()) {
            NDArray reference = ref.get("after" + step + "/" + e.getKey());
            double tolerance = RELATIVE_TOLERANCE * maxAbs(reference);
            if (!e.getValue().requiresGradient()) {
                assertWithin(at + e.getKey(), e.getValue().getArray(), reference, tolerance);
                continue;
            }
            float[] now = ref.get("grad" + step + "/" + e.getKey()).toFloatArray();
            float[] before = step > 1 ? ref.get("grad" + (step - 1) + "/" + e.getKey()).toFloatArray() : now;
            double undetermined = tolerance + 2 * LEARNING_RATE;
            assertWithin(at + e.getKey(), e.getValue().getArray(), reference,
                    i -> Math.abs(now[i]) < floor || Math.abs(before[i]) < floor ? undetermined : tolerance);
        }
    }
}
