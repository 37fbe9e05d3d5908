package org.diffusionworker.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.diffusionworker.model.LoadedModel;
import org.diffusionworker.model.ModelDirectory;
import org.diffusionworker.model.ModelLoader;
import org.diffusionworker.model.ModelSpec;
import org.diffusionworker.training.data.ImageDataset;
import org.diffusionworker.training.data.SyntheticShapes;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Tag("native-memory")
class DiffusionTrainerTest {

    private static final ModelSpec.Schedule SCHEDULE = new ModelSpec.Schedule(100, 1e-4, 0.02);
    private static ImageDataset data;

    @TempDir
    Path temp;

    @BeforeAll
    static void makeData() {
        data = SyntheticShapes.make(64, 16, 7, 2);
    }

    /** Settings of a run that averages its weights: resuming one is the harder case (the model is the average). */
    private static TrainingSettings settings(int epochs) {
        return new TrainingSettings(epochs, 16, 2e-3, 0.1, 1, 11, 4, 1.0, 4, 0.999);
    }

    private static TrainingJob job(Path out, TrainingSettings settings, boolean resume) {
        return new TrainingJob(data, "synthetic shapes", "tiny", 8, SCHEDULE, settings, out, resume, Device.cpu());
    }

    @Test
    void lossFallsAndTheOutputIsALoadableModelDirectory() throws IOException {
        Path out = temp.resolve("model");
        TrainingResult result = new DiffusionTrainer().train(job(out, settings(3), false), TrainingListener.NONE);

        List<EpochRecord> epochs = result.epochs();
        assertEquals(3, epochs.size());
        assertTrue(epochs.get(2).meanLoss() < epochs.get(0).meanLoss(),
                "loss should fall: " + epochs.stream().map(EpochRecord::meanLoss).toList());
        for (String file : List.of("model.json", "contextunet.params", "samples.png", "loss.png",
                "training-log.csv")) {
            assertTrue(Files.isRegularFile(out.resolve(file)), file + " missing");
        }
        // Checkpoints after every epoch; the newest two are kept.
        assertTrue(Files.isDirectory(out.resolve("checkpoints/epoch-00003")));
        assertTrue(Files.isDirectory(out.resolve("checkpoints/epoch-00002")));
        assertTrue(Files.notExists(out.resolve("checkpoints/epoch-00001")));
        assertTrue(Files.isRegularFile(out.resolve("checkpoints/epoch-00003/optimizer.params")));
        assertEquals(4, Files.readAllLines(out.resolve("training-log.csv")).size());

        try (LoadedModel model = ModelLoader.fromDirectory(out, Device.cpu())) {
            ModelSpec card = model.spec();
            assertEquals(List.of("square", "horizontal"), card.labels());
            assertEquals(8, card.architecture().nFeat());
            Map<String, Object> training = card.training();
            assertEquals("complete", training.get("status"));
            assertEquals(3, training.get("epochs"));
            assertEquals(16, training.get("batchSize"));
            assertEquals(0.1, training.get("contextDropout"));
            assertEquals(11, training.get("seed"));
            assertEquals(data.contentHash(), ((Map<?, ?>) training.get("data")).get("contentHash"));
            assertTrue(((Number) training.get("imagesPerSecond")).doubleValue() > 0);
            assertEquals(epochs.get(2).meanLoss(), ((Number) training.get("finalLoss")).doubleValue(), 1e-6);
            assertEquals(card.weights().sha256(), model.weightsSha256());
        }
    }

    @Test
    void theSameSeedGivesTheSameWeights() throws IOException {
        TrainingResult first = new DiffusionTrainer().train(job(temp.resolve("a"), settings(2), false),
                TrainingListener.NONE);
        TrainingResult second = new DiffusionTrainer().train(job(temp.resolve("b"), settings(2), false),
                TrainingListener.NONE);
        assertEquals(first.card().weights().sha256(), second.card().weights().sha256());
        assertEquals(first.finalLoss(), second.finalLoss());

        TrainingSettings otherSeed = new TrainingSettings(2, 16, 2e-3, 0.1, 1, 12, 4, 1.0, 4);
        TrainingResult third = new DiffusionTrainer().train(job(temp.resolve("c"), otherSeed, false),
                TrainingListener.NONE);
        assertNotEquals(first.card().weights().sha256(), third.card().weights().sha256());
    }

    @Test
    void aRunResumedAfterAKillEndsWithTheWeightsOfAnUninterruptedRun() throws IOException {
        TrainingResult uninterrupted = new DiffusionTrainer().train(job(temp.resolve("whole"), settings(3), false),
                TrainingListener.NONE);

        Path out = temp.resolve("killed");
        // "Killed" in the middle of epoch 2, after the checkpoint of epoch 1.
        TrainingListener killer = new TrainingListener() {
            @Override
            public void batchDone(int epoch, int batch, float loss, double imagesPerSecond) {
                if (epoch == 2 && batch == 2) {
                    throw new IllegalStateException("killed");
                }
            }
        };
        assertThrows(IllegalStateException.class, () -> new DiffusionTrainer().train(job(out, settings(3), false),
                killer));
        assertTrue(Files.isDirectory(out.resolve("checkpoints/epoch-00001")));
        assertTrue(Files.notExists(out.resolve("checkpoints/epoch-00002")));

        TrainingResult resumed = new DiffusionTrainer().train(job(out, settings(3), true), TrainingListener.NONE);

        assertEquals(uninterrupted.card().weights().sha256(), resumed.card().weights().sha256(),
                "weights after resuming differ from an uninterrupted run");
        assertEquals(uninterrupted.epochs().stream().map(EpochRecord::meanLoss).toList(),
                resumed.epochs().stream().map(EpochRecord::meanLoss).toList());
        assertArrayEquals(Files.readAllBytes(temp.resolve("whole/checkpoints/epoch-00003/batch-losses.bin")),
                Files.readAllBytes(out.resolve("checkpoints/epoch-00003/batch-losses.bin")));
        try (LoadedModel model = ModelLoader.fromDirectory(out, Device.cpu())) {
            assertEquals(3, model.spec().training().get("epochsCompleted"));
        }
    }

    @Test
    void resumeRefusesOtherSettingsAndAFreshRunRefusesAnOccupiedDirectory() throws IOException {
        Path out = temp.resolve("run");
        new DiffusionTrainer().train(job(out, settings(1), false), TrainingListener.NONE);

        IllegalArgumentException occupied = assertThrows(IllegalArgumentException.class,
                () -> new DiffusionTrainer().train(job(out, settings(1), false), TrainingListener.NONE));
        assertTrue(occupied.getMessage().contains("--resume"), occupied.getMessage());

        IllegalArgumentException other = assertThrows(IllegalArgumentException.class,
                () -> new DiffusionTrainer().train(job(out, settings(1).withBatchSize(32), true),
                        TrainingListener.NONE));
        assertTrue(other.getMessage().contains("--batch-size 16 (this run asks for 32)"), other.getMessage());

        // The run averaged its weights, so its checkpoint's model is the average: training on from it without the
        // average would quietly continue from the wrong weights.
        IllegalArgumentException average = assertThrows(IllegalArgumentException.class,
                () -> new DiffusionTrainer().train(job(out, settings(1).withEmaDecay(0), true),
                        TrainingListener.NONE));
        assertTrue(average.getMessage().contains("--ema-decay 0.999 (this run asks for 0.0)"), average.getMessage());

        IllegalArgumentException nothing = assertThrows(IllegalArgumentException.class,
                () -> new DiffusionTrainer().train(job(temp.resolve("empty"), settings(1), true),
                        TrainingListener.NONE));
        assertTrue(nothing.getMessage().contains("no complete checkpoint"), nothing.getMessage());
    }

    @Test
    void theModelDirectoryIsPublishedFromTheNewestCheckpoint() throws IOException {
        Path out = temp.resolve("published");
        new DiffusionTrainer().train(job(out, settings(2), false), TrainingListener.NONE);
        assertArrayEquals(Files.readAllBytes(out.resolve(ModelDirectory.DEFAULT_WEIGHTS)),
                Files.readAllBytes(out.resolve("checkpoints/epoch-00002").resolve(ModelDirectory.DEFAULT_WEIGHTS)));
        try (var leftovers = Files.list(out)) {
            assertTrue(leftovers.noneMatch(p -> p.getFileName().toString().endsWith(".partial")));
        }
    }

    @Test
    void anAveragingRunKeepsItsTrainedWeightsAsAModelDirectoryBesideTheAverage() throws Exception {
        Path out = temp.resolve("averaged");
        new DiffusionTrainer().train(job(out, settings(2), false), TrainingListener.NONE);
        Path checkpoint = out.resolve("checkpoints/epoch-00002");
        Path trained = checkpoint.resolve(DiffusionTrainer.TRAINED_MODEL_DIRECTORY);

        try (LoadedModel model = ModelLoader.fromDirectory(trained, Device.cpu());
                LoadedModel average = ModelLoader.fromDirectory(out, Device.cpu())) {
            assertTrue(String.valueOf(model.spec().training().get("ema")).startsWith("none: these are the trained"),
                    "card: " + model.spec().training().get("ema"));
            assertEquals(0.999, ((Map<?, ?>) average.spec().training().get("ema")).get("decay"));
            assertNotEquals(average.weightsSha256(), model.weightsSha256(), "the average is not the trained weights");
        }
        // They are the trained weights: averaging does not change what is trained, so a run without the average
        // publishes the very same bytes.
        Path plain = temp.resolve("not-averaged");
        new DiffusionTrainer().train(job(plain, settings(2).withEmaDecay(0), false), TrainingListener.NONE);
        assertArrayEquals(Files.readAllBytes(plain.resolve(ModelDirectory.DEFAULT_WEIGHTS)),
                Files.readAllBytes(trained.resolve(ModelDirectory.DEFAULT_WEIGHTS)));
    }
}
