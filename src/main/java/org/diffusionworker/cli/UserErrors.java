package org.diffusionworker.cli;

import java.io.UncheckedIOException;
import java.nio.file.NoSuchFileException;
import org.diffusionworker.model.InvalidModelException;

/** Which failures are the user's to fix (exit code 2) rather than the program's. */
final class UserErrors {

    private UserErrors() {}

    static boolean isUserError(Throwable e) {
        return e instanceof IllegalArgumentException
                || e instanceof InvalidModelException
                || unwrapped(e) instanceof NoSuchFileException;
    }

    /** The message to show for a user error; a missing file's bare exception message is only its path. */
    static String message(Throwable e) {
        if (unwrapped(e) instanceof NoSuchFileException missing) {
            return "no such file or directory: " + missing.getFile()
                    + (missing.getReason() != null ? " (" + missing.getReason() + ")" : "");
        }
        return e.getMessage();
    }

    private static Throwable unwrapped(Throwable e) {
        return e instanceof UncheckedIOException u && u.getCause() != null ? u.getCause() : e;
    }
}
