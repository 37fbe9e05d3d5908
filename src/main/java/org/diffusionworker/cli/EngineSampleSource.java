package org.diffusionworker.cli;

import java.util.ArrayList;
import java.util.List;
import org.diffusionworker.generation.BatchPlan;
import org.diffusionworker.generation.Conditioning;
import org.diffusionworker.generation.GeneratedImages;
import org.diffusionworker.generation.GenerationEngine;
import org.diffusionworker.generation.ImageSlot;
import org.diffusionworker.generation.SamplingProgress;
import org.diffusionworker.imaging.ImageBatch;
import org.diffusionworker.training.evaluation.EvaluationSetting;
import org.diffusionworker.training.evaluation.SampleSource;

/** Generates evaluation images with the generation engine, in batches of a fixed size. */
class EngineSampleSource implements SampleSource {

    private final GenerationEngine engine;
    private final int batchSize;
    private final SamplingProgress progress;

    EngineSampleSource(GenerationEngine engine, int batchSize, SamplingProgress progress) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("--batch-size must be >= 1, got " + batchSize);
        }
        this.engine = engine;
        this.batchSize = batchSize;
        this.progress = progress;
    }

    /** Denoising steps that {@link #generate} takes for {@code images} images under {@code setting}. */
    long stepsFor(EvaluationSetting setting, int images) {
        long batches = (images + batchSize - 1) / batchSize;
        return batches * setting.sampler().create(engine.schedule()).timesteps().length;
    }

    @Override
    public ImageBatch generate(EvaluationSetting setting, int[] labels, long seed) {
        List<String> names = engine.spec().labels();
        int channels = engine.spec().config().inChannels();
        int size = engine.spec().config().height();
        int perImage = channels * size * size;
        float[] pixels = new float[labels.length * perImage];
        for (int from = 0; from < labels.length; from += batchSize) {
            int to = Math.min(labels.length, from + batchSize);
            List<ImageSlot> slots = new ArrayList<>();
            for (int i = from; i < to; i++) {
                slots.add(new ImageSlot(engine.contextVector(Conditioning.label(names.get(labels[i]))), seed, i));
            }
            GeneratedImages images = engine.generate(
                    new BatchPlan(setting.sampler(), setting.guidance(), 0, slots), progress);
            System.arraycopy(images.pixels(), 0, pixels, from * perImage, (to - from) * perImage);
        }
        return new ImageBatch(labels.length, channels, size, size, pixels);
    }
}
