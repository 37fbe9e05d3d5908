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
                || e instanceof NoSuchFileException
                || (e instanceof UncheckedIOException u && u.getCause() instanceof NoSuchFileException);
    }
}
