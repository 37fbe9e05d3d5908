package org.diffusionworker.generation;

import ai.djl.Device;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.diffusionworker.diffusion.ClassifierFreeGuidance;
import org.diffusionworker.diffusion.SamplerSettings;
import org.diffusionworker.model.ModelLoader;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The shipped model as the Java blocks (fp32), as its packed fp32 TorchScript export (what the CPU image serves) and as
 * its bf16 export, through the generation engine as the worker runs it: DDIM-25 with guidance 1 (the doubled batch),
 * interleaved rounds, medians with their range; the ratios are medians of the ratios of rounds run side by side.
 * A benchmark, not a test: {@code ./mvnw -Pbench test -Dtest=PrecisionBenchmark}
 * (BENCH_BATCHES=1,16,64, BENCH_ROUNDS=5).
 */
@Tag("benchmark")
class PrecisionBenchmark {

    private static final List<String> MODELS = List.of("models/fashion-mnist", "models/fashion-mnist-packed",
            "models/fashion-mnist-bf16");

    @Test
    void fp32AgainstPackedAndBf16() {
        List<Integer> batches = Arrays.stream(System.getenv().getOrDefault("BENCH_BATCHES", "1,16,64").split(","))
                .map(Integer::parseInt).toList();
        int rounds = Integer.parseInt(System.getenv().getOrDefault("BENCH_ROUNDS", "5"));
        List<GenerationEngine> engines = new ArrayList<>();
        try {
            for (String model : MODELS) {
                engines.add(new GenerationEngine(ModelLoader.fromDirectory(Path.of(model), Device.cpu())));
            }
            engines.forEach(GenerationEngine::warmUp);
            System.out.println("| batch | fp32 blocks images/s | packed fp32 images/s | bf16 images/s | packed / blocks"
                    + " | bf16 / blocks |");
            System.out.println("|---:|---:|---:|---:|---:|---:|");
            for (int batch : batches) {
                double[][] speed = new double[MODELS.size()][rounds];
                for (int r = 0; r < rounds; r++) {
                    for (int m = 0; m < MODELS.size(); m++) {
                        speed[m][r] = imagesPerSecond(engines.get(m), batch);
                    }
                }
                System.out.printf(Locale.ROOT, "| %d | %s | %s | %s | %s | %s |%n", batch, spread(speed[0]),
                        spread(speed[1]), spread(speed[2]), spread(ratios(speed[1], speed[0])),
                        spread(ratios(speed[2], speed[0])));
            }
        } finally {
            engines.forEach(GenerationEngine::close);
        }
    }

    private static double[] ratios(double[] numerator, double[] denominator) {
        double[] r = new double[numerator.length];
        for (int i = 0; i < r.length; i++) {
            r[i] = numerator[i] / denominator[i];
        }
        return r;
    }

    private static double imagesPerSecond(GenerationEngine engine, int batch) {
        float[] context = engine.contextVector(Conditioning.label("sneaker"));
        List<ImageSlot> slots = new ArrayList<>();
        for (int i = 0; i < batch; i++) {
            slots.add(new ImageSlot(context, 7, i));
        }
        long start = System.nanoTime();
        engine.generate(new BatchPlan(SamplerSettings.ddim(25, 0), new ClassifierFreeGuidance(1), 0, slots),
                SamplingProgress.NONE);
        return batch / ((System.nanoTime() - start) / 1e9);
    }

    private static String spread(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        return String.format(Locale.ROOT, "%.2f (%.2f-%.2f)", v[v.length / 2], v[0], v[v.length - 1]);
    }
}
