package org.diffusionworker.cli;

import java.util.ArrayList;
import java.util.List;
import org.diffusionworker.generation.ChunkedGeneration;
import org.diffusionworker.generation.Conditioning;
import org.diffusionworker.generation.GeneratedImages;
import org.diffusionworker.generation.GenerationEngine;
import org.diffusionworker.generation.ImageSlot;
import org.diffusionworker.generation.SamplingProgress;
import org.diffusionworker.imaging.ImageBatch;
import org.diffusionworker.training.evaluation.EvaluationSetting;
import org.diffusionworker.training.evaluation.SampleSource;
import org.diffusionworker.training.evaluation.SampleSources;

/**
 * Generates evaluation images with the generation engine, in batches of a fixed size. It stays in cli: training
 * may not import the engine, and the engine may not import training.
 */
class EngineSampleSource implements SampleSource, SampleSources {

    private final ChunkedGeneration chunked;
    private final SamplingProgress progress;

    EngineSampleSource(GenerationEngine engine, int batchSize, SamplingProgress progress) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("--batch-size must be >= 1, got " + batchSize);
        }
        this.chunked = new ChunkedGeneration(engine, batchSize);
        this.progress = progress;
    }

    @Override
    public SampleSource open(Runnable afterEachStep) {
        return new EngineSampleSource(chunked.engine(), chunked.batchSize(),
                (done, total, nanos) -> afterEachStep.run());
    }

    @Override
    public long stepsFor(EvaluationSetting setting, int images) {
        return chunked.steps(setting.sampler(), images);
    }

    @Override
    public ImageBatch generate(EvaluationSetting setting, int[] labels, long seed, int first) {
        GenerationEngine engine = chunked.engine();
        List<String> names = engine.spec().labels();
        List<ImageSlot> slots = new ArrayList<>(labels.length);
        for (int i = 0; i < labels.length; i++) {
            slots.add(new ImageSlot(engine.contextVector(Conditioning.label(names.get(labels[i]))), seed, first + i));
        }
        GeneratedImages images = chunked.generate(setting.sampler(), setting.guidance(), 0, slots, progress);
        return new ImageBatch(labels.length, images.channels(), images.height(), images.width(), images.pixels());
    }
}
