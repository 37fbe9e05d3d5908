package org.diffusionworker.training;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import org.diffusionworker.diffusion.ClassifierFreeGuidance;
import org.diffusionworker.diffusion.Denoiser;
import org.diffusionworker.diffusion.NoiseSchedule;
import org.diffusionworker.diffusion.SamplerSettings;
import org.diffusionworker.imaging.GridOptions;
import org.diffusionworker.imaging.ImageBatch;
import org.diffusionworker.imaging.ImageGrid;
import org.diffusionworker.imaging.PngEncoder;
import org.diffusionworker.model.ContextUnet;
import org.diffusionworker.model.ContextUnetConfig;
import org.diffusionworker.model.CpuFeatures;
import org.diffusionworker.model.DjlRuntime;
import org.diffusionworker.model.InvalidModelException;
import org.diffusionworker.model.ModelCards;
import org.diffusionworker.model.ModelDirectory;
import org.diffusionworker.model.ModelLoader;
import org.diffusionworker.model.ModelSpec;
import org.diffusionworker.model.SeedParameterNames;
import org.diffusionworker.training.data.ImageDataset;
import org.diffusionworker.training.data.TrainingOrder;

/** One session of a {@link DiffusionTrainer} run: the training loop and its checkpoints. */
final class TrainingRun implements AutoCloseable {

    /**
     * The network and where the run stands when a session starts. A checkpoint's model holds the averaged weights
     * when the run averages them; {@code trainedWeights}, a model directory, then holds the weights training goes on
     * from.
     */
    record Session(ContextUnet network, RunState state, TrainingHistory history, Path optimizerState,
            Path trainedWeights) {}

    /** Logs as the trainer. */
    private static final System.Logger LOG = System.getLogger(DiffusionTrainer.class.getName());


    private final TrainingJob job;
    private final TrainingSettings settings;
    private final ImageDataset data;
    private final ModelSpec spec;
    private final ContextUnet network;
    private final TrainingHistory history;
    private final Checkpoints checkpoints;
    private final NDManager root;
    private final NoiseSchedule schedule;
    private final EpochLinearDecay learningRate;
    private final ResumableAdam adam;
    private final TrainingStep trainingStep;
    private final ParameterStore store;
    private final Map<String, Parameter> parameters;
    /** The moving average published as the model; null when the run publishes the trained weights. */
    private final WeightAverage average;
    private final int batchesPerEpoch;
    private final long sessionStart = System.nanoTime();
    /** Wall time of earlier sessions of this run. */
    private final double earlierWallSeconds;
    private RunState state;

    TrainingRun(TrainingJob job, ModelSpec spec, Session session, Checkpoints checkpoints, NDManager root)
            throws IOException {
        this.job = job;
        this.settings = job.settings();
        this.data = job.data();
        this.spec = spec;
        this.network = session.network();
        this.history = session.history();
        this.state = session.state();
        this.earlierWallSeconds = state.wallSeconds();
        this.checkpoints = checkpoints;
        this.root = root;
        ModelSpec.Schedule s = spec.schedule();
        this.schedule = new NoiseSchedule(s.timesteps(), s.beta1(), s.beta2());
        this.batchesPerEpoch = settings.batchesPerEpoch(data.count());
        this.learningRate = new EpochLinearDecay(settings.learningRate(), settings.epochs(), batchesPerEpoch);
        this.adam = ResumableAdam.builder()
                .optLearningRateTracker(learningRate)
                .optBeginNumUpdate(Math.toIntExact(state.updates()))
                .setStateManager(root.newSubManager())
                .build();
        this.parameters = SeedParameterNames.of(network);
        if (session.optimizerState() != null) {
            try (InputStream in = new BufferedInputStream(Files.newInputStream(session.optimizerState()))) {
                adam.load(parameters, in);
            } catch (MalformedModelException e) {
                throw new InvalidModelException("cannot restore " + session.optimizerState() + ": "
                        + e.getMessage(), e);
            }
        }
        this.average = settings.emaDecay() > 0 ? new WeightAverage(parameters, settings.emaDecay(), root) : null;
        if (average != null && session.trainedWeights() != null) {
            restoreTrainedWeights(session.trainedWeights());
        }
        if (settings.precision() == TrainingPrecision.BF16) {
            DiffusionTrainer.bf16Warning(root.getDevice(), CpuFeatures.usableBf16Flags())
                    .ifPresent(w -> LOG.log(System.Logger.Level.WARNING, w));
        }
        this.trainingStep = new TrainingStep(network, adam, root, settings.precision());
        this.store = trainingStep.store();
    }

    @Override
    public void close() {
        trainingStep.close();
    }

    /** The network holds the checkpoint's average, which became the average above; training goes on from these. */
    private void restoreTrainedWeights(Path directory) {
        if (!Files.isDirectory(directory)) {
            throw new InvalidModelException("cannot --resume: " + directory + " is missing, the trained weights"
                    + " of this averaging run (checkpoints of older versions kept them in trained-weights.params:"
                    + " resume those with the version that wrote them)");
        }
        try (NDManager read = root.newSubManager()) {
            average.restoreTrainedWeights(SeedParameterNames.of(ModelLoader.trainableNetwork(directory, read)));
        } catch (MalformedModelException e) {
            throw new InvalidModelException("cannot restore " + directory + ": " + e.getMessage(), e);
        }
    }

    TrainingResult run(TrainingListener listener) throws IOException {
        TrainingOrder order = new TrainingOrder(settings.seed());
        int firstEpoch = state.epochsCompleted();
        listener.started(new TrainingListener.TrainingStart(
                settings.epochs(), firstEpoch + 1, batchesPerEpoch, data.count()));
        long updates = state.updates();
        ModelSpec card = null;
        for (int epoch = firstEpoch; epoch < settings.epochs(); epoch++) {
            int[] permutation = order.permutation(epoch, data.count());
            double lossSum = 0;
            long stepNanos = 0;
            for (int batch = 0; batch < batchesPerEpoch; batch++) {
                int from = batch * settings.batchSize();
                int to = Math.min(data.count(), from + settings.batchSize());
                long start = System.nanoTime();
                DiffusionBatch noised = DiffusionBatch.draw(data, permutation, from, to, schedule,
                        settings.contextDropout(), order.batchRandom(epoch, batch));
                float loss = trainingStep.run(noised, root);
                if (average != null) {
                    average.update(updates + 1);
                }
                long nanos = System.nanoTime() - start;
                if (!Float.isFinite(loss)) {
                    throw new IllegalStateException("the loss became " + loss + " at epoch " + (epoch + 1)
                            + ", batch " + (batch + 1) + "; try a lower --lr");
                }
                stepNanos += nanos;
                updates++;
                lossSum += (double) loss * noised.size();
                history.addBatch(loss);
                listener.batchDone(epoch + 1, batch + 1, loss, noised.size() / (nanos / 1e9));
            }
            EpochRecord record = new EpochRecord(epoch + 1, learningRate.atEpoch(epoch),
                    lossSum / data.count(), data.count(), stepNanos / 1e9);
            history.addEpoch(record);
            listener.epochDone(record);
            boolean last = epoch + 1 == settings.epochs();
            if (last || (epoch + 1) % settings.checkpointEvery() == 0) {
                state = state.advance(epoch + 1, updates, earlierWallSeconds + sessionSeconds());
                card = checkpoint(epoch + 1, last, listener);
            }
        }
        if (card == null) {
            // Resumed a run that had already finished: publish its last checkpoint again.
            Path latest = checkpoints.latest().orElseThrow();
            publish(latest);
            card = ModelCards.read(ModelDirectory.cardFile(latest));
        }
        List<EpochRecord> epochs = history.epochs();
        double finalLoss = epochs.isEmpty() ? Double.NaN : epochs.get(epochs.size() - 1).meanLoss();
        double trainingSeconds = history.trainingSeconds();
        return new TrainingResult(job.output(), card, epochs, finalLoss,
                trainingSeconds > 0 ? history.imagesTrained() / trainingSeconds : 0, state.wallSeconds());
    }

    private double sessionSeconds() {
        return (System.nanoTime() - sessionStart) / 1e9;
    }

    private ModelSpec checkpoint(int epoch, boolean complete, TrainingListener listener) throws IOException {
        Path partial = checkpoints.begin(epoch);
        ModelSpec card = published(() -> ModelDirectory.write(partial,
                spec.withTraining(trainingRecord(epoch, complete, average != null)), network));
        Path optimizerFile = partial.resolve(DiffusionTrainer.OPTIMIZER_FILE);
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(optimizerFile))) {
            adam.save(parameters, out);
        }
        if (average != null) {
            // Training goes on from these on --resume; evaluate and sample load them like any model.
            ModelDirectory.write(partial.resolve(DiffusionTrainer.TRAINED_MODEL_DIRECTORY),
                    spec.withTraining(trainingRecord(epoch, complete, false)), network);
        }
        history.write(partial);
        state.write(partial);
        PngEncoder.write(LossPlot.render(history.batchLosses(), history.epochMeans(), batchesPerEpoch,
                settings.epochs(), String.format(Locale.ROOT, "%s: training loss, epoch %d of %d",
                        spec.name(), epoch, settings.epochs())), partial.resolve(DiffusionTrainer.LOSS_FILE));
        PngEncoder.write(ImageGrid.render(published(this::preview),
                GridOptions.DEFAULT.withColumns(settings.previewPerLabel())),
                partial.resolve(DiffusionTrainer.SAMPLES_FILE));
        Path committed = checkpoints.commit(partial, epoch);
        publish(committed);
        LOG.log(System.Logger.Level.INFO, "checkpoint after epoch {0}: {1}", epoch, committed);
        listener.checkpointWritten(epoch, committed);
        return card;
    }

    /** Runs {@code action} on the weights that are published: the moving average when there is one. */
    private <T> T published(Supplier<T> action) {
        return average == null ? action.get() : average.withAveragedWeights(action);
    }

    /** Copies a checkpoint's model files to the model directory, each replaced atomically. */
    private void publish(Path checkpoint) throws IOException {
        // Weights before the card, so the card never names weights that are not there yet.
        for (String name : DiffusionTrainer.PUBLISHED) {
            Path partial = job.output().resolve("." + name + ".partial");
            Files.copy(checkpoint.resolve(name), partial, StandardCopyOption.REPLACE_EXISTING);
            Files.move(partial, job.output().resolve(name), StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
        }
    }

    /** A grid of DDIM samples, one row per label, with fixed noise so checkpoints compare. */
    private ImageBatch preview() {
        ContextUnetConfig config = spec.config();
        int labels = config.nCfeat();
        int perLabel = settings.previewPerLabel();
        float[] contexts = new float[labels * perLabel * labels];
        for (int label = 0; label < labels; label++) {
            for (int i = 0; i < perLabel; i++) {
                contexts[(label * perLabel + i) * labels + label] = 1f;
            }
        }
        DjlRuntime.disableGradientsOnThisThread();
        Denoiser denoiser = (x, t, c) -> network.forward(store, new NDList(x, t, c), false).singletonOrThrow();
        float[] pixels = PreviewSampler.sample(denoiser, schedule,
                SamplerSettings.ddim(Math.min(settings.previewSteps(), schedule.timesteps()), 0),
                new ClassifierFreeGuidance(settings.previewGuidance()), contexts, labels, config.inChannels(),
                config.height(), settings.seed(), root);
        // Previews of a barely trained network can stray outside [-1, 1]; the grid clamps.
        return new ImageBatch(labels * perLabel, config.inChannels(), config.height(), config.height(), pixels);
    }

    /** The card's training record; {@code averaged}: whether the weights it goes with are the moving average. */
    private Map<String, Object> trainingRecord(int epochsCompleted, boolean complete, boolean averaged) {
        Map<String, Object> record = new LinkedHashMap<>();
        record.put("status", complete ? "complete" : "in progress");
        record.put("epochsCompleted", epochsCompleted);
        record.put("epochs", settings.epochs());
        record.put("batchSize", settings.batchSize());
        record.put("learningRate", settings.learningRate());
        record.put("learningRateSchedule", "linear to zero by epoch: lr * (1 - epoch / epochs), epoch from 0");
        record.put("optimizer", "Adam (beta1 0.9, beta2 0.999, epsilon 1e-8)");
        record.put("precision", settings.precision().optionValue() + ": " + settings.precision().description());
        record.put("loss", "MSE of the predicted noise; x_t = sqrt(ab_t) x + sqrt(1 - ab_t) z, t ~ U{1..T}");
        record.put("contextDropout", settings.contextDropout());
        if (averaged) {
            Map<String, Object> ema = new LinkedHashMap<>();
            ema.put("decay", average.decay());
            ema.put("weights", "these weights are the exponential moving average of the trained ones: after"
                    + " step n, average -= (1 - d_n) (average - weight), d_n = min(decay, n / (9 + n)); BatchNorm"
                    + " statistics as trained");
            record.put("ema", ema);
        } else if (average != null) {
            record.put("ema", "none: these are the trained weights of a run that publishes their moving average"
                    + " (decay " + average.decay() + ") as its model");
        } else {
            record.put("ema", "none: these are the trained weights");
        }
        record.put("seed", settings.seed());
        Map<String, Object> dataRecord = new LinkedHashMap<>();
        dataRecord.put("source", job.dataSource());
        dataRecord.put("contentHash", state.dataHash());
        dataRecord.put("images", data.count());
        dataRecord.put("shape", data.shape());
        record.put("data", dataRecord);
        record.put("device", root.getDevice().toString());
        double trainingSeconds = history.trainingSeconds();
        record.put("wallSeconds", round(state.wallSeconds(), 1));
        record.put("trainingSeconds", round(trainingSeconds, 1));
        record.put("imagesPerSecond", round(trainingSeconds > 0 ? history.imagesTrained() / trainingSeconds : 0, 1));
        List<EpochRecord> epochs = history.epochs();
        record.put("finalLoss", round(epochs.get(epochs.size() - 1).meanLoss(), 6));
        record.put("samples", DiffusionTrainer.SAMPLES_FILE + ": DDIM-" + settings.previewSteps() + ", guidance "
                + settings.previewGuidance() + ", one row per label");
        return record;
    }

    private static double round(double value, int decimals) {
        double scale = Math.pow(10, decimals);
        return Math.round(value * scale) / scale;
    }
}
