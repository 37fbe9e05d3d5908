package org.diffusionworker.training;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The checkpoints of a run, under {@code <output>/checkpoints/epoch-NNNNN/}. Each is written in a
 * hidden {@code .partial} directory and renamed into place only when complete, so a kill at any
 * moment leaves either the previous checkpoint or the new one, never half of one. The newest
 * {@value #KEEP} are kept.
 */
final class Checkpoints {

    static final String DIRECTORY = "checkpoints";
    static final int KEEP = 2;
    private static final Pattern NAME = Pattern.compile("epoch-(\\d+)");

    private final Path root;

    Checkpoints(Path output) {
        this.root = output.resolve(DIRECTORY);
    }

    Path root() {
        return root;
    }

    static Path directoryFor(Path root, int epoch) {
        return root.resolve(String.format("epoch-%05d", epoch));
    }

    /** The newest complete checkpoint, if any. */
    Optional<Path> latest() {
        return complete().stream().max(Comparator.comparingInt(Checkpoints::epochOf));
    }

    /** A fresh, empty directory to write the checkpoint of {@code epoch} into. */
    Path begin(int epoch) throws IOException {
        Files.createDirectories(root);
        Path partial = root.resolve(".epoch-" + epoch + ".partial");
        deleteRecursively(partial);
        Files.createDirectories(partial);
        return partial;
    }

    /** Renames a written checkpoint into place (atomically) and prunes older ones. */
    Path commit(Path partial, int epoch) throws IOException {
        Path target = directoryFor(root, epoch);
        // A checkpoint of this epoch can only exist if a run was stopped after writing it but
        // before its successor: the new one replaces it.
        if (Files.exists(target)) {
            Path stale = root.resolve(".epoch-" + epoch + ".stale");
            deleteRecursively(stale);
            Files.move(target, stale, StandardCopyOption.ATOMIC_MOVE);
            Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
            deleteRecursively(stale);
        } else {
            Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
        }
        List<Path> all = new ArrayList<>(complete());
        all.sort(Comparator.comparingInt(Checkpoints::epochOf).reversed());
        for (Path old : all.subList(Math.min(KEEP, all.size()), all.size())) {
            deleteRecursively(old);
        }
        return target;
    }

    private List<Path> complete() {
        List<Path> found = new ArrayList<>();
        if (!Files.isDirectory(root)) {
            return found;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(root)) {
            for (Path entry : entries) {
                if (NAME.matcher(entry.getFileName().toString()).matches() && Files.isDirectory(entry)) {
                    found.add(entry);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list checkpoints in " + root, e);
        }
        return found;
    }

    static int epochOf(Path checkpoint) {
        Matcher m = NAME.matcher(checkpoint.getFileName().toString());
        if (!m.matches()) {
            throw new IllegalArgumentException(checkpoint + " is not a checkpoint directory");
        }
        return Integer.parseInt(m.group(1));
    }

    static void deleteRecursively(Path path) throws IOException {
        if (!Files.exists(path)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(path)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
