package org.diffusionworker.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.IntStream;
import org.diffusionworker.console.SamplingProgressBar;
import org.diffusionworker.diffusion.ClassifierFreeGuidance;
import org.diffusionworker.diffusion.SamplerKind;
import org.diffusionworker.diffusion.SamplerSettings;
import org.diffusionworker.generation.ChunkedGeneration;
import org.diffusionworker.generation.Conditioning;
import org.diffusionworker.generation.GeneratedImages;
import org.diffusionworker.generation.GenerationEngine;
import org.diffusionworker.generation.ImageSlot;
import org.diffusionworker.generation.SamplerChoice;
import org.diffusionworker.imaging.GifTiming;
import org.diffusionworker.imaging.GridOptions;
import org.diffusionworker.imaging.ImageBatch;
import org.diffusionworker.imaging.ImageGrid;
import org.diffusionworker.imaging.PixelNormalization;
import org.diffusionworker.imaging.PngEncoder;
import org.diffusionworker.imaging.TrajectoryGif;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code sample}: generates a grid of images (and optionally the denoising trajectory as a GIF). */
@Command(name = "sample", mixinStandardHelpOptions = true, sortOptions = false, resourceBundle = "org.diffusionworker.cli.SampleCommand",
        description = "Sample images from a model and write them as a PNG grid (and a GIF of the denoising).")
public class SampleCommand implements Callable<Integer> {

    static final int MAX_COUNT = 1024;
    private static final int DEFAULT_COUNT = 16;
    private static final int DEFAULT_STEPS = 25;

    @Spec
    CommandSpec spec;

    @Mixin
    ModelSource model = new ModelSource();

    @ArgGroup(exclusive = true, multiplicity = "0..1")
    ConditioningOptions conditioning;

    @Mixin
    SamplingOptions sampling = new SamplingOptions();

    @Option(names = "--spacing", paramLabel = "trailing|log-snr",
            description = "Timestep spacing of dpmpp-2m and unipc. Default: log-snr below 10 steps, trailing from 10"
                    + " (measured: docs/performance.md).")
    String spacing;

    @Option(names = "--out", defaultValue = "grid.png", description = "PNG grid to write. Default: ${DEFAULT-VALUE}.")
    Path out;

    @Option(names = "--gif", description = "Also write the denoising trajectory as an animated GIF.")
    Path gif;

    @Option(names = "--trajectory-every", description = "GIF frame every k steps. Default: 1 for DDIM, 20 for DDPM.")
    Integer trajectoryEvery;

    @Option(names = "--normalization", defaultValue = "clamp",
            description = "clamp ([-1, 1] to black..white) or min-max (per image, the seed's). Default: ${DEFAULT-VALUE}.")
    String normalization;

    @Option(names = "--batch-size", defaultValue = "64", description = "Images per forward pass, 1..256. Default: ${DEFAULT-VALUE}.")
    int batchSize;

    @Option(names = {"-q", "--quiet"}, description = "No progress bar.")
    boolean quiet;

    /** {@code --count} or its default; set when the command runs. */
    private int count;

    @Override
    public Integer call() throws IOException {
        count = sampling.count != null ? sampling.count : DEFAULT_COUNT;
        validateCounts();
        SamplerKind kind = SamplerKind.parse(sampling.sampler != null ? sampling.sampler : SamplerKind.DDIM.id());
        double guidance = sampling.guidance != null ? sampling.guidance : 0;
        PixelNormalization pixels = PixelNormalization.parse(normalization);
        ClassifierFreeGuidance cfg = new ClassifierFreeGuidance(guidance);
        // Before sampling, so that a missing folder does not cost the run.
        OutputFolders.createFor(out);
        OutputFolders.createFor(gif);
        Conditioning what = ConditioningOptions.resolve(conditioning);
        long effectiveSeed = sampling.seed != null ? sampling.seed : new SecureRandom().nextLong() & Long.MAX_VALUE;

        try (GenerationEngine engine = new GenerationEngine(model.load())) {
            int timesteps = engine.schedule().timesteps();
            SamplerSettings settings = SamplerChoice.settings(kind, sampling.steps, sampling.eta, spacing, timesteps,
                    DEFAULT_STEPS);
            float[] context = engine.contextVector(what);
            int every = gif == null ? 0 : trajectoryEvery != null ? trajectoryEvery : kind == SamplerKind.DDPM ? 20 : 1;
            if (every < 0) {
                throw new IllegalArgumentException("--trajectory-every must be >= 1, got " + every);
            }
            long start = System.nanoTime();
            Output result = generate(engine, settings, cfg, context, effectiveSeed, every);
            double seconds = (System.nanoTime() - start) / 1e9;

            int cols = sampling.columns != null ? sampling.columns : (int) Math.ceil(Math.sqrt(count));
            GridOptions grid = GridOptions.DEFAULT.withColumns(cols).withNormalization(pixels);
            PngEncoder.write(ImageGrid.render(result.images(), grid), out);
            if (gif != null) {
                TrajectoryGif.write(result.trajectory(), grid, GifTiming.DEFAULT, gif);
            }
            PrintWriter stdout = spec.commandLine().getOut();
            stdout.printf(Locale.ROOT, "wrote %s: %d image(s) of %s, %s, guidance %s, seed %d, model %s, %.1f s (%.2f images/s)%n",
                    out, count, what.describe(), SamplerChoice.describe(settings), guidance, effectiveSeed,
                    engine.spec().name(), seconds, count / seconds);
            if (gif != null) {
                stdout.printf(Locale.ROOT, "wrote %s: %d frame(s)%n", gif, result.trajectory().size());
            }
            stdout.flush();
        }
        return 0;
    }

    private void validateCounts() {
        if (count < 1 || count > MAX_COUNT) {
            throw new IllegalArgumentException("--count must be 1.." + MAX_COUNT + ", got " + count);
        }
        if (batchSize < 1 || batchSize > 256) {
            throw new IllegalArgumentException("--batch-size must be 1..256, got " + batchSize);
        }
        if (sampling.columns != null && sampling.columns < 1) {
            throw new IllegalArgumentException("--columns must be >= 1, got " + sampling.columns);
        }
        if (trajectoryEvery != null && gif == null) {
            throw new IllegalArgumentException("--trajectory-every needs --gif");
        }
    }

    /** Runs the images in chunks of {@code batchSize}; each image keeps its index, so chunking changes nothing. */
    private Output generate(GenerationEngine engine, SamplerSettings settings, ClassifierFreeGuidance cfg,
            float[] context, long seed, int every) {
        ChunkedGeneration chunked = new ChunkedGeneration(engine, batchSize);
        List<ImageSlot> slots = IntStream.range(0, count).mapToObj(i -> new ImageSlot(context, seed, i)).toList();
        GeneratedImages all;
        try (SamplingProgressBar progress = new SamplingProgressBar("sampling", chunked.steps(settings, count), quiet)) {
            all = chunked.generate(settings, cfg, every, slots, progress);
        }
        int channels = all.channels();
        int size = all.height();
        List<ImageBatch> trajectory = all.trajectory().stream()
                .map(f -> new ImageBatch(count, channels, size, size, f)).toList();
        return new Output(new ImageBatch(count, channels, size, size, all.pixels()), trajectory);
    }

    private record Output(ImageBatch images, List<ImageBatch> trajectory) {}
}
