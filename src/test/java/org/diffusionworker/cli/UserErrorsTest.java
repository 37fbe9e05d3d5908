package org.diffusionworker.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.NoSuchFileException;
import org.junit.jupiter.api.Test;

class UserErrorsTest {

    @Test
    void aMissingFileIsNamedAsMissingNotJustByItsPath() {
        NoSuchFileException missing = new NoSuchFileException("out/grid.png");
        assertTrue(UserErrors.isUserError(missing));
        assertEquals("no such file or directory: out/grid.png", UserErrors.message(missing));
        assertEquals("no such file or directory: out/grid.png",
                UserErrors.message(new UncheckedIOException(missing)));
    }

    @Test
    void otherUserErrorsKeepTheirMessageAndProgramErrorsAreNotTheUsers() {
        assertEquals("--count must be 1..1024, got 0",
                UserErrors.message(new IllegalArgumentException("--count must be 1..1024, got 0")));
        assertFalse(UserErrors.isUserError(new IOException("disk full")));
        assertFalse(UserErrors.isUserError(new IllegalStateException("bug")));
    }
}
