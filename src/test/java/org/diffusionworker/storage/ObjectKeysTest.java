package org.diffusionworker.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class ObjectKeysTest {

    private final ObjectKeys keys = new ObjectKeys("generations");

    @Test
    void keysDependOnTheRequestIdAlone() {
        assertEquals("generations/req-42/grid.png", keys.grid("req-42"));
        assertEquals("generations/req-42/trajectory.gif", keys.trajectory("req-42"));
        assertEquals("env/dev/generations/A.b_c-9/grid.png", new ObjectKeys("env/dev/generations").grid("A.b_c-9"));
    }

    @Test
    void singleImagesAreNumberedFromZeroUnpaddedBesideTheirList() {
        assertEquals("generations/req-42/images/0.png", keys.image("req-42", 0));
        assertEquals("generations/req-42/images/63.png", keys.image("req-42", 63));
        assertEquals("generations/req-42/images.json", keys.imagesManifest("req-42"));
        assertEquals("env/dev/generations/A.b_c-9/images/7.png",
                new ObjectKeys("env/dev/generations").image("A.b_c-9", 7));
        assertThrows(IllegalArgumentException.class, () -> keys.image("req-42", -1));
        assertThrows(IllegalArgumentException.class, () -> keys.image("../etc", 0), "keys only from a valid id");
        assertThrows(IllegalArgumentException.class, () -> keys.imagesManifest("a/b"));
    }

    @Test
    void requestIdOfMaximumLengthIsAccepted() {
        String longest = "a".repeat(ObjectKeys.MAX_REQUEST_ID_LENGTH);
        assertEquals("generations/" + longest + "/grid.png", keys.grid(longest));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", ".", "..", "a/b", "../etc", "a b", "a\\b", "a%2F", "ä", "id\n", "a:b", "a?b", "a#b"})
    void requestIdsThatCouldEscapeOrBreakAKeyAreRejected(String requestId) {
        IllegalArgumentException rejected = assertThrows(IllegalArgumentException.class, () -> keys.grid(requestId));
        assertTrue(rejected.getMessage().startsWith("request id"), rejected.getMessage());
    }

    @Test
    void tooLongAndMissingRequestIdsAreRejected() {
        String tooLong = "a".repeat(ObjectKeys.MAX_REQUEST_ID_LENGTH + 1);
        IllegalArgumentException rejected = assertThrows(IllegalArgumentException.class, () -> keys.grid(tooLong));
        assertTrue(rejected.getMessage().contains("(129 chars)"), rejected.getMessage());
        assertThrows(IllegalArgumentException.class, () -> keys.trajectory(null));
    }

    @Test
    void controlCharactersInARejectedIdAreShownEscaped() {
        IllegalArgumentException rejected = assertThrows(IllegalArgumentException.class, () -> keys.grid("bad\u0000id"));
        assertTrue(rejected.getMessage().contains("'bad\\u0000id'"), rejected.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "/generations", "generations/", "a//b", "a/../b", "..", "./a", "a/.", "gen erations", "a\\b"})
    void prefixesThatAreNotPlainRelativePathsAreRejected(String prefix) {
        IllegalArgumentException rejected = assertThrows(IllegalArgumentException.class, () -> new ObjectKeys(prefix));
        assertTrue(rejected.getMessage().startsWith("key prefix"), rejected.getMessage());
    }
}
