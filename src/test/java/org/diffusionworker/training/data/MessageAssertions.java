package org.diffusionworker.training.data;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;

/** Assertions on error messages: that they name the file at fault and say what is wrong. */
final class MessageAssertions {

    private MessageAssertions() {}

    /** The message starts with {@code file} (the readers' "path: problem" form) and contains every part. */
    static void assertNamesFile(Throwable error, Path file, String... parts) {
        assertTrue(error.getMessage().startsWith(file.toString() + ": "),
                () -> "message should start with " + file + ": " + error.getMessage());
        assertMentions(error, parts);
    }

    static void assertMentions(Throwable error, String... parts) {
        for (String part : parts) {
            assertTrue(error.getMessage().contains(part),
                    () -> "message should contain '" + part + "': " + error.getMessage());
        }
    }
}
