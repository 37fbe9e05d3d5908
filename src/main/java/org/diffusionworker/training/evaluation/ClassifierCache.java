package org.diffusionworker.training.evaluation;

import ai.djl.Device;
import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Properties;
import java.util.function.IntConsumer;
import java.util.function.ObjIntConsumer;
import java.util.stream.Stream;
import org.diffusionworker.training.data.ImageDataset;

/**
 * Evaluation classifiers kept on disk, one per training set: {@code <root>/<contentHash>/}
 * holds {@code classifier.params} and {@code classifier.properties} (architecture version,
 * training settings, input shape, number of labels). A classifier is reused only when all of these
 * match; otherwise it is trained again and replaced (written in a temporary directory, then renamed).
 * Label names are not part of it: renaming the classes does not change what the classifier learns.
 *
 * <p>Shipped roots (the repository's {@code models/evaluation-classifiers}) are laid out the same way and consulted
 * first, read-only: a classifier kept there pins the evaluation's instrument, so that models scored in different
 * sessions, on different CPUs, are scored by the very same weights (a classifier retrained on another CPU differs in
 * its last bits, and FD with it).
 */
public final class ClassifierCache {

    static final String PARAMS = "classifier.params";
    static final String PROPERTIES = "classifier.properties";
    private static final System.Logger LOG = System.getLogger(ClassifierCache.class.getName());

    private final Path root;
    private final List<Path> shipped;

    public ClassifierCache(Path root) {
        this(root, List.of());
    }

    /** A cache in {@code root} that first looks in the read-only {@code shipped} roots (those that exist). */
    public ClassifierCache(Path root, List<Path> shipped) {
        this.root = Objects.requireNonNull(root, "root");
        this.shipped = List.copyOf(shipped);
    }

    /** {@code $XDG_CACHE_HOME/diffusion-worker/classifiers}, or {@code ~/.cache/...} without it. */
    public static Path defaultRoot() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("diffusion-worker").resolve("classifiers");
    }

    /**
     * A classifier as it was obtained.
     *
     * @param fromCache whether it was loaded rather than trained
     * @param directory where it is kept
     * @param trainingSeconds time spent training it now (0 when loaded)
     */
    public record Obtained(FeatureClassifier classifier, boolean fromCache, Path directory, double trainingSeconds) {}

    /** The classifier for {@code train}, loaded from the cache or trained (and cached) now. */
    public Obtained obtain(ImageDataset train, ClassifierSettings settings, Device device, IntConsumer batches)
            throws IOException {
        return obtain(train, settings, device, batches, (classifier, epoch) -> { });
    }

    /**
     * As {@link #obtain(ImageDataset, ClassifierSettings, Device, IntConsumer)}; when it trains,
     * {@code epochs} sees the classifier after each epoch.
     */
    public Obtained obtain(ImageDataset train, ClassifierSettings settings, Device device, IntConsumer batches,
            ObjIntConsumer<FeatureClassifier> epochs) throws IOException {
        // Digests every pixel (one to two seconds for Fashion-MNIST): once per call.
        String dataHash = train.contentHash();
        Properties wanted = describe(train, dataHash, settings);
        for (Path shippedRoot : shipped) {
            Path directory = shippedRoot.resolve(dataHash);
            if (holds(directory, wanted)) {
                return new Obtained(load(directory, train, device), true, directory, 0);
            }
        }
        Path directory = root.resolve(dataHash);
        if (holds(directory, wanted)) {
            return new Obtained(load(directory, train, device), true, directory, 0);
        }
        if (Files.isRegularFile(directory.resolve(PROPERTIES))) {
            LOG.log(System.Logger.Level.INFO, "cached classifier in {0} was made differently; training again",
                    directory);
        }
        long start = System.nanoTime();
        FeatureClassifier classifier = FeatureClassifier.train(train, settings, device, batches, epochs);
        double seconds = (System.nanoTime() - start) / 1e9;
        try {
            store(directory, classifier, wanted);
        } catch (IOException e) {
            // A cache that cannot be written costs time next run, not this run's result.
            LOG.log(System.Logger.Level.WARNING, "cannot cache the classifier in " + directory, e);
        }
        return new Obtained(classifier, false, directory, seconds);
    }

    /** Whether {@code directory} holds a classifier made as {@code wanted} describes. */
    private static boolean holds(Path directory, Properties wanted) throws IOException {
        Path properties = directory.resolve(PROPERTIES);
        if (!Files.isRegularFile(properties) || !Files.isRegularFile(directory.resolve(PARAMS))) {
            return false;
        }
        Properties found = new Properties();
        try (Reader in = Files.newBufferedReader(properties, StandardCharsets.UTF_8)) {
            found.load(in);
        }
        return found.equals(wanted);
    }

    private static FeatureClassifier load(Path directory, ImageDataset train, Device device) throws IOException {
        return FeatureClassifier.load(directory.resolve(PARAMS), device, train.channels(), train.height(),
                train.width(), train.labelNames());
    }

    private static void store(Path directory, FeatureClassifier classifier, Properties description)
            throws IOException {
        Files.createDirectories(directory.getParent());
        Path partial = Files.createTempDirectory(directory.getParent(), "." + directory.getFileName() + ".partial-");
        classifier.save(partial.resolve(PARAMS));
        try (Writer out = Files.newBufferedWriter(partial.resolve(PROPERTIES), StandardCharsets.UTF_8)) {
            description.store(out, "diffusion-worker evaluation classifier");
        }
        deleteRecursively(directory);
        Files.move(partial, directory, StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * Removes a stale cache entry, deepest paths first. The trainer's {@code Checkpoints} has the same
     * few lines; evaluation does not import the trainer package for them.
     */
    private static void deleteRecursively(Path path) throws IOException {
        if (!Files.exists(path)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(path)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    private static Properties describe(ImageDataset train, String dataHash, ClassifierSettings settings) {
        Properties p = new Properties();
        p.setProperty("version", FeatureClassifier.VERSION);
        p.setProperty("trainingDataHash", dataHash);
        p.setProperty("images", Integer.toString(train.count()));
        p.setProperty("shape", train.channels() + "x" + train.height() + "x" + train.width());
        p.setProperty("labelCount", Integer.toString(train.labelCount()));
        p.setProperty("epochs", Integer.toString(settings.epochs()));
        p.setProperty("batchSize", Integer.toString(settings.batchSize()));
        p.setProperty("learningRate", Double.toString(settings.learningRate()));
        p.setProperty("seed", Integer.toString(settings.seed()));
        p.setProperty("learningRateSchedule", "cosine-to-0");
        p.setProperty("shift", Integer.toString(settings.augmentation().maxShift()));
        p.setProperty("mirror", Boolean.toString(settings.augmentation().mirror()));
        return p;
    }
}
