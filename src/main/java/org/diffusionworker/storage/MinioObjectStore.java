package org.diffusionworker.storage;

import io.minio.http.HttpUtils;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import okhttp3.OkHttpClient;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;


import io.minio.BucketExistsArgs;
import io.minio.GetObjectArgs;
import io.minio.GetObjectResponse;
import io.minio.GetPresignedObjectUrlArgs;
import io.minio.MakeBucketArgs;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.minio.StatObjectArgs;
import io.minio.StatObjectResponse;
import io.minio.errors.ErrorResponseException;
import io.minio.http.Method;

/**
 * {@link ObjectStore} on any S3-compatible store (MinIO, S3Proxy, AWS S3) through the MinIO Java client. Transient
 * failures are retried as {@link MinioStoreSettings#retry()} says; see {@link ObjectStore} for what is thrown.
 */
public final class MinioObjectStore implements ObjectStore, AutoCloseable {

    private static final System.Logger LOG = System.getLogger(MinioObjectStore.class.getName());

    // S3 lower-cases user metadata names; allowing only lower case makes what is read back equal what was written.
    private static final Pattern METADATA_NAME = Pattern.compile("[a-z0-9][a-z0-9-]*");
    private static final Pattern METADATA_VALUE = Pattern.compile("[\\x20-\\x7e]*");
    private static final String USER_METADATA_HEADER_PREFIX = "x-amz-meta-";
    // MinIO's putObject uploads in parts above this size; -1 lets it choose, but with a known length it is unused.
    private static final long PART_SIZE_CHOSEN_BY_CLIENT = -1;
    private static final String MISSING_CONTENT_TYPE = "application/octet-stream";

    private final MinioStoreSettings settings;
    private final MinioClient client;
    private final RetryingCaller retrying;

    /** Creates the client; does not contact the store (see {@link #connect}). */
    public MinioObjectStore(MinioStoreSettings settings) {
        this.settings = Objects.requireNonNull(settings, "settings");
        long timeoutMillis = settings.requestTimeout().toMillis();
        this.client = MinioClient.builder()
                .endpoint(settings.endpoint().toString())
                // A fixed region spares a GetBucketLocation round trip before the first call.
                .region(settings.region())
                .credentials(settings.accessKey(), settings.secretKey())
                .httpClient(httpClient(settings, timeoutMillis))
                .build();
        this.retrying = new RetryingCaller(settings.retry(), "bucket " + settings.bucket() + " at " + settings.endpoint());
    }

    /** MinIO's own HTTP client, trusting the configured certificates (a private CA) when there are any. */
    private static OkHttpClient httpClient(MinioStoreSettings settings, long timeoutMillis) {
        OkHttpClient client = HttpUtils.newDefaultHttpClient(timeoutMillis, timeoutMillis, timeoutMillis);
        if (settings.trustCertificates().isEmpty()) {
            return client;
        }
        Path pem = settings.trustCertificates().get();
        try {
            return HttpUtils.enableExternalCertificates(client, pem.toString());
        } catch (GeneralSecurityException | IOException | RuntimeException e) {
            throw new IllegalArgumentException("cannot use the trust certificates in " + pem + ": " + e.getMessage(), e);
        }
    }

    /** Creates the store and makes sure its bucket exists: what a worker does at start-up. */
    public static MinioObjectStore connect(MinioStoreSettings settings) {
        MinioObjectStore store = new MinioObjectStore(settings);
        try {
            store.ensureBucket();
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
        return store;
    }

    public MinioStoreSettings settings() {
        return settings;
    }

    @Override
    public String bucket() {
        return settings.bucket();
    }

    @Override
    public boolean ensureBucket() {
        String bucket = settings.bucket();
        boolean created = retrying.call("create bucket if missing", () -> {
            if (client.bucketExists(BucketExistsArgs.builder().bucket(bucket).build())) {
                return false;
            }
            try {
                client.makeBucket(MakeBucketArgs.builder().bucket(bucket).build());
                return true;
            } catch (ErrorResponseException e) {
                // Another worker created it between our check and our create: the bucket is there, which is the point.
                if ("BucketAlreadyOwnedByYou".equals(e.errorResponse().code())) {
                    return false;
                }
                throw e;
            }
        });
        if (created) {
            LOG.log(Level.INFO, String.format("Created bucket %s at %s", bucket, settings.endpoint()));
        }
        return created;
    }

    @Override
    public void put(String key, byte[] content, String contentType, Map<String, String> metadata) {
        requireValidKey(key);
        Objects.requireNonNull(content, "content");
        if (contentType == null || contentType.isBlank()) {
            throw new IllegalArgumentException("contentType must not be blank for object " + key);
        }
        requireValidMetadata(key, metadata);
        retrying.call("put " + key, () -> client.putObject(PutObjectArgs.builder()
                .bucket(settings.bucket())
                .object(key)
                // A fresh stream per attempt: a failed attempt may have consumed part of the previous one.
                .stream(new ByteArrayInputStream(content), content.length, PART_SIZE_CHOSEN_BY_CLIENT)
                .contentType(contentType)
                .userMetadata(metadata)
                .build()));
    }

    @Override
    public Optional<StoredObject> stat(String key) {
        requireValidKey(key);
        try {
            StatObjectResponse stat = retrying.call("stat " + key,
                    () -> client.statObject(StatObjectArgs.builder().bucket(settings.bucket()).object(key).build()));
            String contentType = stat.contentType() == null ? MISSING_CONTENT_TYPE : stat.contentType();
            return Optional.of(new StoredObject(key, stat.size(), contentType, userMetadataOf(stat)));
        } catch (ObjectNotFoundException e) {
            return Optional.empty();
        }
    }

    @Override
    public byte[] get(String key) {
        requireValidKey(key);
        return retrying.call("get " + key, () -> {
            try (GetObjectResponse content = client.getObject(GetObjectArgs.builder().bucket(settings.bucket()).object(key).build())) {
                return content.readAllBytes();
            }
        });
    }

    @Override
    public String url(String key) {
        requireValidKey(key);
        Optional<URI> publicBase = settings.publicBaseUrl();
        if (publicBase.isPresent()) {
            return withoutTrailingSlash(publicBase.get().toString()) + "/" + settings.bucket() + "/" + encodePath(key);
        }
        try {
            // Signing is local: with the region fixed, the client does not contact the store.
            return client.getPresignedObjectUrl(GetPresignedObjectUrlArgs.builder()
                    .method(Method.GET)
                    .bucket(settings.bucket())
                    .object(key)
                    .expiry((int) settings.urlExpiry().toSeconds(), TimeUnit.SECONDS)
                    .build());
        } catch (Exception e) {
            throw new ObjectStoreException("could not presign a URL for " + key + " in bucket " + settings.bucket() + ": " + e.getMessage(), 1, e);
        }
    }

    /** Releases the HTTP client's connections and threads. */
    @Override
    public void close() {
        try {
            client.close();
        } catch (Exception e) {
            LOG.log(Level.DEBUG, () -> String.format("Closing the MinIO client for %s failed", settings.endpoint()), e);
        }
    }

    @Override
    public String toString() {
        return "MinioObjectStore[bucket " + settings.bucket() + " at " + settings.endpoint() + "]";
    }

    private static Map<String, String> userMetadataOf(StatObjectResponse stat) {
        Map<String, String> metadata = new HashMap<>();
        stat.userMetadata().forEach((name, value) -> {
            String lowerCase = name.toLowerCase(Locale.ROOT);
            // Depending on the client version the names arrive with or without the header prefix.
            metadata.put(lowerCase.startsWith(USER_METADATA_HEADER_PREFIX) ? lowerCase.substring(USER_METADATA_HEADER_PREFIX.length()) : lowerCase, value);
        });
        return metadata;
    }

    private static void requireValidKey(String key) {
        if (key == null || key.isEmpty()) {
            throw new IllegalArgumentException("object key must not be empty");
        }
        if (key.startsWith("/")) {
            throw new IllegalArgumentException("object key must not start with '/', got '" + key + "'");
        }
        if (key.getBytes(StandardCharsets.UTF_8).length > 1024) {
            throw new IllegalArgumentException("object key must be at most 1024 bytes (UTF-8), got " + key.length() + " characters");
        }
    }

    private static void requireValidMetadata(String key, Map<String, String> metadata) {
        Objects.requireNonNull(metadata, "metadata (use Map.of())");
        metadata.forEach((name, value) -> {
            if (name == null || !METADATA_NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("metadata names must be lower-case letters, digits and '-', got '" + name + "' for " + key);
            }
            if (value == null || !METADATA_VALUE.matcher(value).matches()) {
                throw new IllegalArgumentException("metadata value of '" + name + "' must be printable ASCII (it travels as an HTTP header) for " + key);
            }
        });
    }

    private static String withoutTrailingSlash(String url) {
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }

    /** Percent-encodes each '/'-separated segment of a key as an RFC 3986 path segment. */
    private static String encodePath(String key) {
        StringBuilder encoded = new StringBuilder();
        for (byte b : key.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            boolean unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                    || c == '-' || c == '.' || c == '_' || c == '~' || c == '/';
            if (unreserved) {
                encoded.append(c);
            } else {
                encoded.append('%').append(String.format("%02X", b & 0xff));
            }
        }
        return encoded.toString();
    }
}
