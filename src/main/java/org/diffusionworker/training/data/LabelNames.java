package org.diffusionworker.training.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.IntStream;

/** Names of the label classes of the known datasets, and numbered names for the rest. */
public final class LabelNames {

    /** MNIST digits: the label is the digit. */
    public static final List<String> MNIST = numbered(10);

    /** Fashion-MNIST, in label order 0..9 (from the dataset's README). */
    public static final List<String> FASHION_MNIST = List.of(
            "t-shirt/top", "trouser", "pullover", "dress", "coat",
            "sandal", "shirt", "sneaker", "bag", "ankle-boot");

    /** The course's 16x16 sprites, in the order of the one-hot columns of its label file (n_cfeat = 5). */
    public static final List<String> SPRITES = List.of("hero", "non-hero", "food", "spell", "side-facing");

    private LabelNames() {}

    /** "0", "1", ..., "count-1": the names used when the data carries none. */
    public static List<String> numbered(int count) {
        if (count < 1) {
            throw new IllegalArgumentException("a dataset needs at least one label, asked for " + count);
        }
        return IntStream.range(0, count).mapToObj(Integer::toString).toList();
    }

    /**
     * Label names from a command-line value: a preset ({@code mnist}, {@code fashion-mnist},
     * {@code sprites}, any case) or a comma-separated list such as {@code cat,dog,bird}.
     */
    public static List<String> parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("label names are empty; give a preset (mnist, fashion-mnist,"
                    + " sprites) or a comma-separated list");
        }
        switch (text.strip().toLowerCase(Locale.ROOT)) {
            case "mnist":
                return MNIST;
            case "fashion-mnist":
            case "fashion_mnist":
                return FASHION_MNIST;
            case "sprites":
                return SPRITES;
            default:
                List<String> names = new ArrayList<>();
                Arrays.stream(text.split(",", -1)).map(String::strip).forEach(names::add);
                requireValid(names);
                return List.copyOf(names);
        }
    }

    /** Checks that names are usable as labels: at least one, none blank, no duplicates. */
    static void requireValid(List<String> names) {
        if (names == null || names.isEmpty()) {
            throw new IllegalArgumentException("a dataset needs at least one label name");
        }
        for (int i = 0; i < names.size(); i++) {
            String name = names.get(i);
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("label name " + i + " is blank in " + names);
            }
            // indexOf finds the first occurrence: a later duplicate is found at a smaller index.
            if (names.indexOf(name) != i) {
                throw new IllegalArgumentException("label name '" + name + "' appears twice in " + names);
            }
        }
    }
}
