package org.diffusionworker.training;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.diffusionworker.model.ContextUnet;
import org.diffusionworker.model.ContextUnetConfig;
import org.diffusionworker.model.CpuFeatures;
import org.diffusionworker.model.DjlRuntime;
import org.diffusionworker.model.ModelCards;
import org.diffusionworker.model.ModelDirectory;
import org.diffusionworker.model.ModelLoader;
import org.diffusionworker.model.ModelSpec;
import org.diffusionworker.training.data.ImageDataset;
import org.diffusionworker.training.data.TrainingOrder;

/**
 * Trains a ContextUnet as the seed does, with its defects fixed (see seed-notes.md): per image a
 * timestep t ~ U{1..T}, noise z ~ N(0, I), {@code x_t = sqrt(ab_t) x + sqrt(1 - ab_t) z}; the loss
 * is the MSE between z and {@code model(x_t, t / T, c)}; Adam with the learning rate decaying
 * linearly to zero over the epochs; the one-hot context zeroed for a fraction of the samples so
 * that classifier-free guidance works; BatchNorm in training mode.
 *
 * <p>Every batch runs in its own NDManager sub-manager (DJL frees native memory only when a
 * manager closes). Randomness comes from {@link TrainingOrder}, a pure function of the seed, the
 * epoch and the batch, so on one CPU a run is reproducible, and a run resumed from a checkpoint
 * (weights, BatchNorm statistics and Adam's moments and step count all restored) ends with the
 * same weights as one that was never stopped.
 *
 * <p>Output: {@code <out>/model.json}, {@code contextunet.params}, {@code samples.png},
 * {@code loss.png} and {@code training-log.csv}, refreshed at every checkpoint, and
 * {@code <out>/checkpoints/epoch-NNNNN/} holding the same plus the optimiser state. A run that averages its
 * weights publishes the average; each checkpoint then also holds the trained weights as a model directory of their
 * own ({@code trained/}), so that {@code sample} and {@code evaluate} can tell what the average adds.
 */
public final class DiffusionTrainer {

    static final String OPTIMIZER_FILE = "optimizer.params";
    /** A checkpoint's model directory of the trained (not averaged) weights, when the run averages them. */
    public static final String TRAINED_MODEL_DIRECTORY = "trained";
    public static final String SAMPLES_FILE = "samples.png";
    public static final String LOSS_FILE = "loss.png";
    public static final String LOG_FILE = TrainingHistory.LOG_FILE;
    static final List<String> PUBLISHED = List.of(ModelDirectory.DEFAULT_WEIGHTS, ModelDirectory.CARD,
            SAMPLES_FILE, LOSS_FILE, LOG_FILE);
    private static final System.Logger LOG = System.getLogger(DiffusionTrainer.class.getName());

    /**
     * Runs {@code job} to its last epoch (or on from its newest checkpoint when resuming).
     *
     * @throws IllegalArgumentException when the output already holds a run and resume was not asked
     *     for, when there is nothing to resume, or when the checkpoint was made with other settings
     */
    public TrainingResult train(TrainingJob job, TrainingListener listener) throws IOException {
        DjlRuntime.engine();
        ImageDataset data = job.data();
        TrainingSettings settings = job.settings();
        Checkpoints checkpoints = new Checkpoints(job.output());
        Optional<Path> latest = checkpoints.latest();
        if (!job.resume() && (latest.isPresent() || Files.exists(ModelDirectory.cardFile(job.output())))) {
            throw new IllegalArgumentException(job.output() + " already holds a model or checkpoints; pass --resume"
                    + " to continue that run, or choose another --out");
        }
        if (job.resume() && latest.isEmpty()) {
            throw new IllegalArgumentException("--resume: no complete checkpoint under " + checkpoints.root());
        }
        String dataHash = data.contentHash();
        ModelSpec spec = untrainedCard(job);
        try (NDManager root = NDManager.newBaseManager(job.device())) {
            TrainingRun.Session session = job.resume()
                    ? resumed(job, spec, dataHash, latest.get(), root)
                    : fresh(job, spec, dataHash, root);
            try (TrainingRun run = new TrainingRun(job, spec, session, checkpoints, root)) {
                return run.run(listener);
            }
        }
    }

    private static TrainingRun.Session fresh(TrainingJob job, ModelSpec spec, String dataHash, NDManager root) {
        ContextUnet network = ModelLoader.trainableNetwork(spec, job.settings().seed(), root);
        return new TrainingRun.Session(network, RunState.start(job.settings(), dataHash, job.data().count()),
                new TrainingHistory(), null, null);
    }

    private static TrainingRun.Session resumed(TrainingJob job, ModelSpec spec, String dataHash, Path checkpoint,
            NDManager root) throws IOException {
        RunState state = RunState.read(checkpoint);
        state.requireResumableWith(job.settings(), dataHash, job.data().count(), checkpoint);
        requireSameAverage(checkpoint, job.settings().emaDecay());
        ContextUnet network = ModelLoader.trainableNetwork(checkpoint, root);
        ContextUnetConfig saved = network.config();
        if (!saved.equals(spec.config())) {
            throw new IllegalArgumentException("cannot --resume from " + checkpoint + ": its network is " + saved
                    + " but this run asks for " + spec.config() + " (check --n-feat)");
        }
        LOG.log(System.Logger.Level.INFO, "resuming {0} after epoch {1} of {2}", job.output(),
                state.epochsCompleted(), state.epochs());
        return new TrainingRun.Session(network, state, TrainingHistory.read(checkpoint), checkpoint.resolve(OPTIMIZER_FILE),
                checkpoint.resolve(TRAINED_MODEL_DIRECTORY));
    }

    /**
     * Refuses a resume that changes {@code --ema-decay}: an averaging run's checkpoint model is the average, so
     * switching the average off would train on from it, and switching it on would start a new average mid-run.
     */
    private static void requireSameAverage(Path checkpoint, double emaDecay) {
        Map<String, Object> training = ModelCards.read(ModelDirectory.cardFile(checkpoint)).training();
        Object ema = training == null ? null : training.get("ema");
        double then = ema instanceof Map<?, ?> m && m.get("decay") instanceof Number decay ? decay.doubleValue() : 0;
        if (then != emaDecay) {
            throw new IllegalArgumentException("cannot --resume from " + checkpoint + ": it was trained with"
                    + " --ema-decay " + then + " (this run asks for " + emaDecay + "). Resume with the original"
                    + " settings, or train afresh into another --out");
        }
    }

    /** The card of the network before training: architecture from the data, labels, schedule. */
    private static ModelSpec untrainedCard(TrainingJob job) {
        ImageDataset data = job.data();
        Map<String, String> provenance = new LinkedHashMap<>();
        provenance.put("source", "diffusion-worker train");
        provenance.put("weights", "trained from random initialisation (seed " + job.settings().seed() + ")");
        return new ModelSpec(job.modelName(), ModelSpec.Architecture.of(job.config()), data.labelNames(),
                job.schedule(), List.of(-1.0, 1.0), provenance, null, null);
    }

    /**
     * A warning when bf16 training runs where oneDNN has no bf16 units to use ({@code cpuBf16Flags} empty: none on
     * this CPU, or {@code ONEDNN_MAX_CPU_ISA} caps it below them; unknown, absent: no warning): oneDNN then emulates
     * them, and the run is slower than in fp32.
     */
    static Optional<String> bf16Warning(Device device, Optional<List<String>> cpuBf16Flags) {
        if (!Device.Type.CPU.equals(device.getDeviceType()) || cpuBf16Flags.isEmpty()
                || !cpuBf16Flags.get().isEmpty()) {
            return Optional.empty();
        }
        return Optional.of("--precision bf16 where oneDNN has none of the bf16 units it uses ("
                + String.join(", ", CpuFeatures.BF16_FLAGS) + "; on this CPU or under ONEDNN_MAX_CPU_ISA): it"
                + " emulates them, and this run will be slower than"
                + " with --precision fp32 (docs/training.md)");
    }
}
