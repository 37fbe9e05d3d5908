package org.diffusionworker.training;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import org.diffusionworker.training.data.ImageDataset;

/**
 * Where a run stands at a checkpoint, and what it was started with: enough to resume it with the
 * same learning-rate schedule and data order, and to refuse a resume that would not be the same run.
 *
 * @param epochsCompleted epochs finished when the checkpoint was written
 * @param updates optimiser steps so far (Adam's bias correction and the schedule count them)
 * @param wallSeconds wall time spent over all sessions so far
 * @param dataHash {@link ImageDataset#contentHash()} of the training data
 * @param images images per epoch
 */
record RunState(int epochsCompleted, long updates, double wallSeconds, String dataHash, int images, int epochs,
        int batchSize, double learningRate, double contextDropout, int seed) {

    static final String FILE = "state.properties";
    private static final String FORMAT = "1";

    static RunState start(TrainingSettings s, String dataHash, int images) {
        return new RunState(0, 0, 0, dataHash, images, s.epochs(), s.batchSize(), s.learningRate(),
                s.contextDropout(), s.seed());
    }

    RunState advance(int newEpochsCompleted, long newUpdates, double newWallSeconds) {
        return new RunState(newEpochsCompleted, newUpdates, newWallSeconds, dataHash, images, epochs, batchSize,
                learningRate, contextDropout, seed);
    }

    /**
     * Throws, naming every difference, unless {@code settings} and the data would continue this run
     * exactly (how often to checkpoint and what to preview may change).
     */
    void requireResumableWith(TrainingSettings s, String newDataHash, int newImages, Path checkpoint) {
        List<String> differences = new ArrayList<>();
        differ(differences, "--epochs", epochs, s.epochs());
        differ(differences, "--batch-size", batchSize, s.batchSize());
        differ(differences, "--lr", learningRate, s.learningRate());
        differ(differences, "--context-dropout", contextDropout, s.contextDropout());
        differ(differences, "--seed", seed, s.seed());
        differ(differences, "images (--limit)", images, newImages);
        if (!dataHash.equals(newDataHash)) {
            differences.add("the data differs (content hash " + dataHash.substring(0, 12) + "... then, "
                    + newDataHash.substring(0, 12) + "... now)");
        }
        if (!differences.isEmpty()) {
            throw new IllegalArgumentException("cannot --resume from " + checkpoint + ": it was trained with "
                    + String.join("; ", differences) + ". Resume with the original settings, or train afresh into"
                    + " another --out");
        }
    }

    private static void differ(List<String> into, String option, Object then, Object now) {
        if (!then.equals(now)) {
            into.add(option + " " + then + " (this run asks for " + now + ")");
        }
    }

    void write(Path directory) throws IOException {
        Properties p = new Properties();
        p.setProperty("format", FORMAT);
        p.setProperty("epochsCompleted", Integer.toString(epochsCompleted));
        p.setProperty("updates", Long.toString(updates));
        p.setProperty("wallSeconds", String.format(Locale.ROOT, "%.3f", wallSeconds));
        p.setProperty("dataHash", dataHash);
        p.setProperty("images", Integer.toString(images));
        p.setProperty("epochs", Integer.toString(epochs));
        p.setProperty("batchSize", Integer.toString(batchSize));
        // Doubles are written exactly (shortest repr that round-trips) so the resume check compares equal.
        p.setProperty("learningRate", Double.toString(learningRate));
        p.setProperty("contextDropout", Double.toString(contextDropout));
        p.setProperty("seed", Integer.toString(seed));
        try (Writer out = Files.newBufferedWriter(directory.resolve(FILE), StandardCharsets.UTF_8)) {
            p.store(out, "diffusion-worker training state");
        }
    }

    static RunState read(Path directory) throws IOException {
        Properties p = new Properties();
        Path file = directory.resolve(FILE);
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(in);
        }
        if (!FORMAT.equals(p.getProperty("format"))) {
            throw new IOException(file + " has state format " + p.getProperty("format") + ", expected " + FORMAT);
        }
        try {
            return new RunState(Integer.parseInt(p.getProperty("epochsCompleted")),
                    Long.parseLong(p.getProperty("updates")), Double.parseDouble(p.getProperty("wallSeconds")),
                    p.getProperty("dataHash"), Integer.parseInt(p.getProperty("images")),
                    Integer.parseInt(p.getProperty("epochs")), Integer.parseInt(p.getProperty("batchSize")),
                    Double.parseDouble(p.getProperty("learningRate")),
                    Double.parseDouble(p.getProperty("contextDropout")), Integer.parseInt(p.getProperty("seed")));
        } catch (RuntimeException e) {
            throw new IOException(file + " is incomplete or malformed: " + e.getMessage(), e);
        }
    }
}
