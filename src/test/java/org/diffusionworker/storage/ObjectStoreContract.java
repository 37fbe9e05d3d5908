package org.diffusionworker.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import org.junit.jupiter.api.Test;

/**
 * What {@link MinioObjectStore} must do against any S3-compatible server the project uses. Subclasses provide the
 * server: S3Proxy (always) and MinIO (where Docker exists).
 */
abstract class ObjectStoreContract {

    /** Where a server is and how to sign in to it. */
    record S3Access(URI endpoint, String region, String accessKey, String secretKey) {
        @Override
        public String toString() {
            return "S3Access[" + endpoint + "]";
        }
    }

    /** A server started for one test, which the test may stop ({@code stop}: how). */
    record DedicatedServer(S3Access access, Runnable stop) implements AutoCloseable {
        @Override
        public void close() {
            stop.run();
        }
    }

    // Small and fast: a test that exhausts the retries takes well under a second.
    static final RetrySettings QUICK_RETRIES = new RetrySettings(3, Duration.ofMillis(20), Duration.ofMillis(100));

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** A server that stays up for the whole test class. */
    abstract S3Access sharedServer();

    /** Starts a server of its own, for a test that stops it. */
    abstract DedicatedServer startDedicatedServer();

    @Test
    void ensureBucketCreatesAMissingBucketOnceAndIsIdempotent() {
        try (MinioObjectStore store = new MinioObjectStore(settings(sharedServer(), freshBucket()))) {
            assertTrue(store.ensureBucket(), "first call creates the bucket");
            assertFalse(store.ensureBucket(), "second call finds it");
            assertFalse(store.ensureBucket(), "and so does the third");
        }
    }

    @Test
    void connectCreatesTheBucketAtStartUp() {
        MinioStoreSettings settings = settings(sharedServer(), freshBucket());
        try (MinioObjectStore connected = MinioObjectStore.connect(settings);
             MinioObjectStore another = new MinioObjectStore(settings)) {
            assertFalse(another.ensureBucket(), "bucket already there after connect");
        }
    }

    @Test
    void putThenStatAndGetRoundTripContentTypeAndMetadata() {
        byte[] png = "\u0089PNG fake image bytes".getBytes(StandardCharsets.ISO_8859_1);
        try (MinioObjectStore store = MinioObjectStore.connect(settings(sharedServer(), freshBucket()))) {
            String key = new ObjectKeys("generations").grid("req-1");
            store.put(key, png, "image/png", Map.of("request-id", "req-1", "sampler", "ddim"));

            StoredObject stored = store.stat(key).orElseThrow();
            assertEquals(key, stored.key());
            assertEquals(png.length, stored.size());
            assertEquals("image/png", stored.contentType());
            assertEquals(Map.of("request-id", "req-1", "sampler", "ddim"), stored.metadata());
            assertArrayEquals(png, store.get(key));
        }
    }

    @Test
    void putReplacesAnExistingObject() {
        try (MinioObjectStore store = MinioObjectStore.connect(settings(sharedServer(), freshBucket()))) {
            store.put("a/b.bin", new byte[] {1, 2, 3}, "application/octet-stream", Map.of());
            store.put("a/b.bin", new byte[] {4, 5}, "application/octet-stream", Map.of());

            assertArrayEquals(new byte[] {4, 5}, store.get("a/b.bin"));
        }
    }

    @Test
    void missingObjectHasNoStatAndCannotBeRead() {
        try (MinioObjectStore store = MinioObjectStore.connect(settings(sharedServer(), freshBucket()))) {
            assertEquals(Optional.empty(), store.stat("no/such/key"));
            ObjectNotFoundException missing = assertThrows(ObjectNotFoundException.class, () -> store.get("no/such/key"));
            assertTrue(missing.getMessage().contains("no/such/key"), missing.getMessage());
        }
    }

    @Test
    void presignedUrlDownloadsTheSameBytesWithAPlainHttpGet() throws Exception {
        byte[] gif = "GIF89a fake animation".getBytes(StandardCharsets.US_ASCII);
        try (MinioObjectStore store = MinioObjectStore.connect(settings(sharedServer(), freshBucket()))) {
            String key = new ObjectKeys("generations").trajectory("req-2");
            store.put(key, gif, "image/gif", Map.of());

            String url = store.url(key);
            HttpResponse<byte[]> download = http.send(HttpRequest.newBuilder(URI.create(url)).GET().build(),
                    HttpResponse.BodyHandlers.ofByteArray());

            assertTrue(url.contains("X-Amz-Signature="), url);
            assertEquals(200, download.statusCode());
            assertArrayEquals(gif, download.body());
            assertEquals("image/gif", download.headers().firstValue("Content-Type").orElse(""));
        }
    }

    @Test
    void publicBaseUrlModeBuildsBaseBucketKeyUrls() {
        MinioStoreSettings settings = settings(sharedServer(), freshBucket()).withPublicBaseUrl(URI.create("https://cdn.example.org/images/"));
        try (MinioObjectStore store = new MinioObjectStore(settings)) {
            assertEquals("https://cdn.example.org/images/" + settings.bucket() + "/generations/req-3/grid.png",
                    store.url("generations/req-3/grid.png"));
        }
    }

    @Test
    void stoppedServerMakesPutFailWithStorageUnavailableAfterTheConfiguredRetries() {
        try (DedicatedServer server = startDedicatedServer();
             MinioObjectStore store = MinioObjectStore.connect(settings(server.access(), freshBucket()))) {
            store.put("before-stop.bin", new byte[] {1}, "application/octet-stream", Map.of());
            server.close();

            StorageUnavailableException unavailable = assertThrows(StorageUnavailableException.class,
                    () -> store.put("after-stop.bin", new byte[] {2}, "application/octet-stream", Map.of()));

            assertEquals(QUICK_RETRIES.maxAttempts(), unavailable.attempts());
            assertTrue(unavailable.getMessage().contains("after-stop.bin"), unavailable.getMessage());
        }
    }

    @Test
    void wrongCredentialsFailFastWithAClearErrorAndAreNotRetried() {
        S3Access shared = sharedServer();
        String wrongSecret = "wrong-" + UUID.randomUUID();
        // Generous retries: if the refusal were retried, attempts() would show it.
        MinioStoreSettings wrong = settings(shared, freshBucket())
                .withCredentials(shared.accessKey(), wrongSecret)
                .withRetry(new RetrySettings(5, Duration.ofMillis(20), Duration.ofMillis(100)));
        try (MinioObjectStore store = new MinioObjectStore(wrong)) {
            ObjectStoreException refused = assertThrows(ObjectStoreException.class,
                    () -> store.put("denied.bin", new byte[] {1}, "application/octet-stream", Map.of()));

            assertFalse(refused instanceof StorageUnavailableException, "a refusal is not unavailability: " + refused);
            assertEquals(1, refused.attempts());
            assertTrue(refused.getMessage().contains("will not be retried"), refused.getMessage());
            assertTrue(refused.getMessage().matches("(?s).*(SignatureDoesNotMatch|InvalidAccessKeyId|AccessDenied).*"), refused.getMessage());
            assertFalse(refused.getMessage().contains(wrongSecret), "secret in the message");
            assertInstanceOf(io.minio.errors.ErrorResponseException.class, refused.getCause());
        }
    }

    static MinioStoreSettings settings(S3Access access, String bucket) {
        return new MinioStoreSettings(access.endpoint(), access.region(), access.accessKey(), access.secretKey(), bucket,
                Duration.ofMinutes(5), Optional.empty(), QUICK_RETRIES, Duration.ofSeconds(10));
    }

    static String freshBucket() {
        return "test-" + UUID.randomUUID().toString().substring(0, 13);
    }
}
