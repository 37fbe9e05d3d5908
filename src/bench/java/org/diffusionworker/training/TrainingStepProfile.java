package org.diffusionworker.training;

import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.diffusionworker.diffusion.NoiseSchedule;
import org.diffusionworker.model.ContextUnet;
import org.diffusionworker.model.ContextUnetConfig;
import org.diffusionworker.model.DjlRuntime;
import org.diffusionworker.model.ModelLoader;
import org.diffusionworker.model.ModelSpec;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Where a training step's time goes: times steps of the trainer's {@link TrainingStep} at batch 64 on 28 x 28 x 1,
 * n_feat 64 (environment: PROFILE_BATCH, PROFILE_NFEAT, PROFILE_STEPS), then records three steps with libtorch's
 * profiler into {@code target/training-step-trace.json} (chrome://tracing format). Not a test:
 * {@code ./mvnw -Pbench test -Dtest=TrainingStepProfile}.
 */
@Tag("diagnostic")
class TrainingStepProfile {

    @Test
    void profile() throws Exception {
        int batch = Integer.parseInt(System.getenv().getOrDefault("PROFILE_BATCH", "64"));
        int nFeat = Integer.parseInt(System.getenv().getOrDefault("PROFILE_NFEAT", "64"));
        int steps = Integer.parseInt(System.getenv().getOrDefault("PROFILE_STEPS", "10"));
        DjlRuntime.engine();
        ContextUnetConfig config = new ContextUnetConfig(1, nFeat, 10, 28);
        List<String> labels = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            labels.add("l" + i);
        }
        ModelSpec spec = new ModelSpec("profile", ModelSpec.Architecture.of(config), labels,
                TrainingJob.COURSE_SCHEDULE, List.of(-1.0, 1.0), new LinkedHashMap<>(Map.of("source", "profile")),
                null, null);
        NoiseSchedule schedule = new NoiseSchedule(500, 1e-4, 0.02);
        Random random = new Random(1);
        float[] x0 = new float[batch * 28 * 28];
        float[] noise = new float[x0.length];
        for (int i = 0; i < x0.length; i++) {
            x0[i] = random.nextFloat() * 2 - 1;
            noise[i] = (float) random.nextGaussian();
        }
        int[] t = new int[batch];
        float[] context = new float[batch * 10];
        for (int i = 0; i < batch; i++) {
            t[i] = 1 + random.nextInt(500);
            context[i * 10 + random.nextInt(10)] = 1;
        }
        DiffusionBatch data = DiffusionBatch.of(x0, noise, t, context, schedule);
        try (NDManager root = NDManager.newBaseManager()) {
            ContextUnet network = ModelLoader.trainableNetwork(spec, 1, root);
            ResumableAdam adam = ResumableAdam.builder()
                    .optLearningRateTracker(new EpochLinearDecay(1e-3, 1, 1_000_000))
                    .setStateManager(root.newSubManager()).build();
            TrainingStep step = new TrainingStep(network, adam, root);
            for (int i = 0; i < 3; i++) {
                step.run(data, root);
            }
            double[] ms = new double[steps];
            for (int i = 0; i < steps; i++) {
                long start = System.nanoTime();
                step.run(data, root);
                ms[i] = (System.nanoTime() - start) / 1e6;
            }
            java.util.Arrays.sort(ms);
            System.out.printf(Locale.ROOT, "java median %.1f ms/step (%.1f images/s), min %.1f, max %.1f%n",
                    ms[steps / 2], batch * 1000 / ms[steps / 2], ms[0], ms[steps - 1]);
            Path trace = Path.of("target", "training-step-trace.json").toAbsolutePath();
            Files.createDirectories(trace.getParent());
            JniUtils.startProfile(false, true, false);
            for (int i = 0; i < 3; i++) {
                step.run(data, root);
            }
            JniUtils.stopProfile(trace.toString());
            System.out.println("trace: " + trace);
        }
    }
}
