package org.diffusionworker.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Output paths the user names may point into folders that do not exist yet; the commands make them. */
final class OutputFolders {

    private OutputFolders() {}

    /** Creates the folder {@code file} goes into, with its parents; nothing when {@code file} is null. */
    static void createFor(Path file) throws IOException {
        Path parent = file == null ? null : file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
    }
}
