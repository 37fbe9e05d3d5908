package org.diffusionworker.training.evaluation;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.norm.Dropout;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.GradientCollector;
import ai.djl.training.LocalParameterServer;
import ai.djl.training.ParameterStore;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.IntConsumer;
import java.util.function.ObjIntConsumer;
import org.diffusionworker.model.ChannelPaddedConv2d;
import org.diffusionworker.model.DjlRuntime;
import org.diffusionworker.training.data.ImageDataset;
import org.diffusionworker.training.data.TrainingOrder;

/**
 * A small CNN that classifies images of one dataset, and whose penultimate layer (128 values
 * after a ReLU) serves as the feature space of the Fréchet distance: a stand-in for FID's
 * Inception network that fits 28 x 28 greyscale data and trains in minutes on a CPU.
 *
 * <p>Two conv 3x3 (32) - max-pool 2 - two conv 3x3 (64) - max-pool 2 - conv 3x3 (128) - max-pool 2
 * (each convolution followed by BatchNorm and ReLU) - dropout - dense (128) - ReLU [features] -
 * dropout - dense (labels); Adam with a cosine-decayed learning rate, on images shifted (and, per
 * dataset, mirrored) at random by {@link ImageAugmentation}. With one convolution per resolution
 * the network stalled near 91% on Fashion-MNIST's test images, with or without dropout; the second
 * convolution at full and half resolution took it to 92.5% (docs/training.md). Dropout sits only
 * after the last BatchNorm: ahead of a BatchNorm it makes the variance that layer learns while
 * training differ from the one it sees at test time. Not thread-safe.
 */
public final class FeatureClassifier implements AutoCloseable {

    public static final int FEATURES = 128;
    /** Bumped whenever the architecture or its training changes, so cached classifiers are retrained. */
    public static final String VERSION = "cnn-32x2-64x2-128-128-dropout/v5";
    private static final int INFERENCE_BATCH = 256;
    private static final int POOL = 0;
    /** The convolutions' widths, in order, and where the 2 x 2 max-pools go. */
    private static final int[] LAYERS = {32, 32, POOL, 64, 64, POOL, 128, POOL};
    private static final float FLATTENED_DROPOUT = 0.3f;
    private static final float FEATURE_DROPOUT = 0.3f;

    private final NDManager manager;
    private final SequentialBlock features;
    private final Dropout headDropout;
    private final Linear head;
    private final ParameterStore store;
    private final int channels;
    private final int height;
    private final int width;
    private final List<String> labels;

    private FeatureClassifier(Device device, int channels, int height, int width, List<String> labels, int seed) {
        DjlRuntime.engine();
        this.manager = NDManager.newBaseManager(device);
        this.channels = channels;
        this.height = height;
        this.width = width;
        this.labels = List.copyOf(labels);
        features = new SequentialBlock();
        for (int filters : LAYERS) {
            if (filters == POOL) {
                features.add(Pool.maxPool2dBlock(new Shape(2, 2)));
            } else {
                features.add(ChannelPaddedConv2d.threeByThree().setFilters(filters).build()).add(BatchNorm.builder().build())
                        .add(Activation::relu);
            }
        }
        features.add(Blocks.batchFlattenBlock()).add(dropout(FLATTENED_DROPOUT))
                .add(Linear.builder().setUnits(FEATURES).build()).add(Activation::relu);
        headDropout = dropout(FEATURE_DROPOUT);
        head = Linear.builder().setUnits(labels.size()).build();
        DjlRuntime.seed(seed);
        Shape input = new Shape(1, channels, height, width);
        features.initialize(manager, DataType.FLOAT32, input);
        headDropout.initialize(manager, DataType.FLOAT32, new Shape(1, FEATURES));
        head.initialize(manager, DataType.FLOAT32, new Shape(1, FEATURES));
        store = new ParameterStore(manager, false);
    }

    private static Dropout dropout(float rate) {
        return Dropout.builder().optRate(rate).build();
    }

    /**
     * Trains a classifier on {@code data}; {@code batches} is told after every step with the
     * number of steps done (for a progress bar).
     */
    public static FeatureClassifier train(ImageDataset data, ClassifierSettings settings, Device device,
            IntConsumer batches) {
        return train(data, settings, device, batches, (classifier, epoch) -> { });
    }

    /**
     * As {@link #train(ImageDataset, ClassifierSettings, Device, IntConsumer)}, and {@code epochs} is
     * given the classifier as it stands after each epoch (1-based), to score it on held-out images.
     */
    public static FeatureClassifier train(ImageDataset data, ClassifierSettings settings, Device device,
            IntConsumer batches, ObjIntConsumer<FeatureClassifier> epochs) {
        FeatureClassifier classifier = new FeatureClassifier(device, data.channels(), data.height(), data.width(),
                data.labelNames(), settings.seed());
        try {
            classifier.fit(data, settings, batches, epochs);
            return classifier;
        } catch (RuntimeException e) {
            classifier.close();
            throw e;
        }
    }

    /** Steps per epoch of {@link #train} over {@code images} images. */
    public static int batchesPerEpoch(int images, ClassifierSettings settings) {
        return (images + settings.batchSize() - 1) / settings.batchSize();
    }

    private void fit(ImageDataset data, ClassifierSettings settings, IntConsumer progress,
            ObjIntConsumer<FeatureClassifier> epochs) {
        int steps = settings.epochs() * batchesPerEpoch(data.count(), settings);
        // Cosine decay to 0, so that the last epochs settle instead of moving at the full rate.
        Optimizer adam = Optimizer.adam().optLearningRateTracker(Tracker.cosine()
                .setBaseValue((float) settings.learningRate()).optFinalValue(0f).setMaxUpdates(steps).build())
                .build();
        store.setParameterServer(new LocalParameterServer(adam), new Device[] {manager.getDevice()});
        TrainingOrder order = new TrainingOrder(settings.seed());
        int perImage = data.valuesPerImage();
        int classes = labels.size();
        ImageAugmentation augmentation = settings.augmentation();
        int step = 0;
        for (int epoch = 0; epoch < settings.epochs(); epoch++) {
            int[] permutation = order.permutation(epoch, data.count());
            for (int from = 0; from < data.count(); from += settings.batchSize()) {
                int size = Math.min(settings.batchSize(), data.count() - from);
                float[] pixels = new float[size * perImage];
                float[] oneHot = new float[size * classes];
                SplittableRandom random = order.batchRandom(epoch, from / settings.batchSize());
                for (int i = 0; i < size; i++) {
                    int image = permutation[from + i];
                    if (augmentation.changesImages()) {
                        augmentation.apply(data.pixels(), image * perImage, pixels, i * perImage, channels, height,
                                width, random);
                    } else {
                        System.arraycopy(data.pixels(), image * perImage, pixels, i * perImage, perImage);
                    }
                    oneHot[i * classes + data.label(image)] = 1f;
                }
                try (NDManager batch = manager.newSubManager()) {
                    NDArray x = batch.create(pixels, new Shape(size, channels, height, width));
                    NDArray target = batch.create(oneHot, new Shape(size, classes));
                    try (GradientCollector collector = batch.getEngine().newGradientCollector()) {
                        NDList f = features.forward(store, new NDList(x), true);
                        NDArray logits = head.forward(store, headDropout.forward(store, f, true), true)
                                .singletonOrThrow();
                        // Cross-entropy from array operations only (no scalar operands, which DJL frees
                        // before backward needs them; see ResidualConvBlock).
                        NDArray loss = logits.logSoftmax(1).mul(target).sum(new int[] {1}).neg().mean();
                        collector.backward(loss);
                    }
                    store.updateAllParameters();
                }
                progress.accept(++step);
            }
            epochs.accept(this, epoch + 1);
        }
    }

    /** What the classifier makes of a batch of images: its predicted labels and its features. */
    public record Outputs(int[] predicted, float[] features) {}

    /** Classifies {@code count} images ({@code [count, C, H, W]} flat, values clamped to [-1, 1]). */
    public Outputs classify(float[] pixels, int count) {
        int perImage = channels * height * width;
        if (pixels.length != (long) count * perImage) {
            throw new IllegalArgumentException("expected " + count + " images of " + channels + "x" + height + "x"
                    + width + ", got " + pixels.length + " values");
        }
        DjlRuntime.disableGradientsOnThisThread();
        int[] predicted = new int[count];
        float[] features = new float[count * FEATURES];
        for (int from = 0; from < count; from += INFERENCE_BATCH) {
            int size = Math.min(INFERENCE_BATCH, count - from);
            float[] chunk = new float[size * perImage];
            for (int i = 0; i < chunk.length; i++) {
                // Samples may stray outside the data range; the classifier only knows [-1, 1].
                chunk[i] = Math.max(-1f, Math.min(1f, pixels[from * perImage + i]));
            }
            try (NDManager batch = manager.newSubManager()) {
                NDArray x = batch.create(chunk, new Shape(size, channels, height, width));
                NDArray f = this.features.forward(store, new NDList(x), false).singletonOrThrow();
                NDArray logits = head.forward(store, new NDList(f), false).singletonOrThrow();
                int[] argmax = logits.argMax(1).toType(DataType.INT32, false).toIntArray();
                System.arraycopy(argmax, 0, predicted, from, size);
                System.arraycopy(f.toFloatArray(), 0, features, from * FEATURES, size * FEATURES);
            }
        }
        return new Outputs(predicted, features);
    }

    /** The classifier's accuracy on labelled images. */
    public ClassificationScores score(ImageDataset data) {
        Outputs outputs = classify(data.pixels(), data.count());
        int[] truth = new int[data.count()];
        for (int i = 0; i < truth.length; i++) {
            truth[i] = data.label(i);
        }
        return ClassificationScores.of(truth, outputs.predicted(), labels);
    }

    public List<String> labels() {
        return labels;
    }

    /** Whether this classifier takes images of {@code data}'s shape and labels. */
    public boolean fits(ImageDataset data) {
        return data.channels() == channels && data.height() == height && data.width() == width
                && data.labelCount() == labels.size();
    }

    void save(Path file) throws IOException {
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file));
                DataOutputStream data = new DataOutputStream(out)) {
            features.saveParameters(data);
            head.saveParameters(data);
        }
    }

    static FeatureClassifier load(Path file, Device device, int channels, int height, int width,
            List<String> labels) throws IOException {
        FeatureClassifier classifier = new FeatureClassifier(device, channels, height, width, labels, 0);
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file));
                DataInputStream data = new DataInputStream(in)) {
            classifier.features.loadParameters(classifier.manager, data);
            classifier.head.loadParameters(classifier.manager, data);
            return classifier;
        } catch (MalformedModelException | RuntimeException e) {
            classifier.close();
            throw new IOException("cannot load classifier " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        manager.close();
    }
}
