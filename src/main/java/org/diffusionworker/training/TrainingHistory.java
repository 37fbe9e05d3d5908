package org.diffusionworker.training;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The losses of a run so far: every batch's loss (for the loss curve) and every epoch's record
 * (the training log). Saved with each checkpoint and read back on resume.
 */
final class TrainingHistory {

    static final String LOG_FILE = "training-log.csv";
    static final String BATCH_LOSSES_FILE = "batch-losses.bin";
    private static final int BATCH_LOSSES_MAGIC = 0x4C4F5353; // "LOSS"

    private float[] batchLosses = new float[1024];
    private int batches;
    private final List<EpochRecord> epochs = new ArrayList<>();

    void addBatch(float loss) {
        if (batches == batchLosses.length) {
            batchLosses = Arrays.copyOf(batchLosses, batches * 2);
        }
        batchLosses[batches++] = loss;
    }

    void addEpoch(EpochRecord record) {
        epochs.add(record);
    }

    float[] batchLosses() {
        return Arrays.copyOf(batchLosses, batches);
    }

    List<EpochRecord> epochs() {
        return List.copyOf(epochs);
    }

    double[] epochMeans() {
        return epochs.stream().mapToDouble(EpochRecord::meanLoss).toArray();
    }

    /** Seconds spent in training steps over all epochs so far. */
    double trainingSeconds() {
        return epochs.stream().mapToDouble(EpochRecord::seconds).sum();
    }

    long imagesTrained() {
        return epochs.stream().mapToLong(EpochRecord::images).sum();
    }

    void write(Path directory) throws IOException {
        StringBuilder csv = new StringBuilder(EpochRecord.CSV_HEADER).append('\n');
        epochs.forEach(e -> csv.append(e.toCsv()).append('\n'));
        Files.writeString(directory.resolve(LOG_FILE), csv, StandardCharsets.UTF_8);
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(
                Files.newOutputStream(directory.resolve(BATCH_LOSSES_FILE))))) {
            out.writeInt(BATCH_LOSSES_MAGIC);
            out.writeInt(batches);
            for (int i = 0; i < batches; i++) {
                out.writeFloat(batchLosses[i]);
            }
        }
    }

    static TrainingHistory read(Path directory) throws IOException {
        TrainingHistory history = new TrainingHistory();
        List<String> lines = Files.readAllLines(directory.resolve(LOG_FILE), StandardCharsets.UTF_8);
        for (String line : lines.subList(1, lines.size())) {
            if (!line.isBlank()) {
                history.addEpoch(EpochRecord.fromCsv(line));
            }
        }
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(
                Files.newInputStream(directory.resolve(BATCH_LOSSES_FILE))))) {
            if (in.readInt() != BATCH_LOSSES_MAGIC) {
                throw new IOException(directory.resolve(BATCH_LOSSES_FILE) + " is not a batch-loss file");
            }
            int count = in.readInt();
            for (int i = 0; i < count; i++) {
                history.addBatch(in.readFloat());
            }
        }
        return history;
    }
}
