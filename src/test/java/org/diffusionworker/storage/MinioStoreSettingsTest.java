package org.diffusionworker.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.time.Duration;
import java.util.Optional;

import org.junit.jupiter.api.Test;

class MinioStoreSettingsTest {

    private static final String SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

    private final MinioStoreSettings valid = MinioStoreSettings.of(URI.create("http://minio:9000"), "us-east-1", "AKIAEXAMPLE", SECRET, "images");

    @Test
    void toStringShowsTheAccessKeyButHidesTheSecret() {
        String shown = valid.toString();

        assertFalse(shown.contains(SECRET), shown);
        assertTrue(shown.contains("secretKey=***"), shown);
        assertTrue(shown.contains("AKIAEXAMPLE"), shown);
    }

    @Test
    void defaultsAreAnHourOfUrlValidityAndDefaultRetries() {
        assertEquals(Duration.ofHours(1), valid.urlExpiry());
        assertEquals(Optional.empty(), valid.publicBaseUrl());
        assertEquals(RetrySettings.defaults(), valid.retry());
    }

    @Test
    void invalidValuesAreRejectedNamingTheSetting() {
        assertRejected("bucket", () -> valid.withBucket("Images_Upper"));
        assertRejected("bucket", () -> valid.withBucket("ab"));
        assertRejected("urlExpiry", () -> valid.withUrlExpiry(Duration.ofDays(8)));
        assertRejected("urlExpiry", () -> valid.withUrlExpiry(Duration.ZERO));
        assertRejected("publicBaseUrl", () -> valid.withPublicBaseUrl(URI.create("ftp://cdn.example.org")));
        assertRejected("secretKey", () -> valid.withCredentials("AKIAEXAMPLE", " "));
        assertRejected("requestTimeout", () -> valid.withRequestTimeout(Duration.ZERO));
        assertRejected("endpoint", () -> MinioStoreSettings.of(URI.create("minio:9000"), "us-east-1", "a", SECRET, "images"));
        assertRejected("endpoint", () -> MinioStoreSettings.of(URI.create("http://minio:9000/s3"), "us-east-1", "a", SECRET, "images"));
    }

    @Test
    void rejectionMessagesNeverCarryTheSecret() {
        IllegalArgumentException rejected = assertThrows(IllegalArgumentException.class, () -> valid.withBucket("x"));
        assertFalse(rejected.getMessage().contains(SECRET));
    }

    private static void assertRejected(String setting, Runnable build) {
        IllegalArgumentException rejected = assertThrows(IllegalArgumentException.class, build::run);
        assertTrue(rejected.getMessage().startsWith(setting), rejected.getMessage());
    }
}
