package org.diffusionworker.storage;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Everything {@link MinioObjectStore} needs to reach one bucket of an S3-compatible store.
 *
 * @param endpoint       the S3 endpoint, e.g. {@code http://minio:9000}
 * @param region         signing region; MinIO and S3Proxy accept {@code us-east-1}
 * @param accessKey      access key id
 * @param secretKey      secret key; left out of {@link #toString()} and never logged
 * @param bucket         the bucket all objects go to (S3 naming rules)
 * @param urlExpiry      how long presigned URLs stay valid: 1 second to 7 days (the S3 limit)
 * @param publicBaseUrl  when present, {@link ObjectStore#url} returns {@code <publicBaseUrl>/<bucket>/<key>} instead of
 *                       a presigned URL (for a bucket served publicly, e.g. behind a CDN or reverse proxy)
 * @param retry          how transient failures are retried
 * @param requestTimeout connect, read and write timeout of each HTTP call to the store
 * @param trustCertificates when present, a PEM file of the certificates (typically a private CA) that an
 *                       {@code https} endpoint's certificate must chain to, instead of the JDK's trust anchors
 */
public record MinioStoreSettings(
        URI endpoint,
        String region,
        String accessKey,
        String secretKey,
        String bucket,
        Duration urlExpiry,
        Optional<URI> publicBaseUrl,
        RetrySettings retry,
        Duration requestTimeout,
        Optional<Path> trustCertificates) {

    /** The longest expiry S3 allows for a presigned URL. */
    public static final Duration MAX_URL_EXPIRY = Duration.ofDays(7);

    // S3 bucket naming rules, minus the rarely used dots (they break virtual-host TLS certificates).
    private static final Pattern BUCKET_NAME = Pattern.compile("[a-z0-9][a-z0-9-]{1,61}[a-z0-9]");

    public MinioStoreSettings {
        requireHttpUri(endpoint, "endpoint");
        if (endpoint.getRawPath() != null && !endpoint.getRawPath().isEmpty() && !endpoint.getRawPath().equals("/")) {
            // The MinIO client addresses buckets as the first path segment; it cannot sit under a path prefix.
            throw new IllegalArgumentException("endpoint must not have a path, got '" + endpoint + "'");
        }
        requireText(region, "region");
        requireText(accessKey, "accessKey");
        requireText(secretKey, "secretKey");
        requireText(bucket, "bucket");
        if (!BUCKET_NAME.matcher(bucket).matches()) {
            throw new IllegalArgumentException("bucket must be 3..63 characters of lower-case letters, digits and '-', "
                    + "starting and ending with a letter or digit, got '" + bucket + "'");
        }
        Objects.requireNonNull(urlExpiry, "urlExpiry");
        if (urlExpiry.compareTo(Duration.ofSeconds(1)) < 0 || urlExpiry.compareTo(MAX_URL_EXPIRY) > 0) {
            throw new IllegalArgumentException("urlExpiry must be between 1 second and 7 days, got " + urlExpiry);
        }
        Objects.requireNonNull(publicBaseUrl, "publicBaseUrl (use Optional.empty())");
        publicBaseUrl.ifPresent(url -> requireHttpUri(url, "publicBaseUrl"));
        Objects.requireNonNull(retry, "retry");
        Objects.requireNonNull(requestTimeout, "requestTimeout");
        if (requestTimeout.isNegative() || requestTimeout.isZero()) {
            throw new IllegalArgumentException("requestTimeout must be positive, got " + requestTimeout);
        }
        Objects.requireNonNull(trustCertificates, "trustCertificates (use Optional.empty())");
        trustCertificates.ifPresent(pem -> {
            if (!Files.isReadable(pem)) {
                throw new IllegalArgumentException("trust certificates file " + pem + " is missing or unreadable");
            }
        });
    }

    /** Settings that trust the JDK's certificate authorities. */
    public MinioStoreSettings(URI endpoint, String region, String accessKey, String secretKey, String bucket,
            Duration urlExpiry, Optional<URI> publicBaseUrl, RetrySettings retry, Duration requestTimeout) {
        this(endpoint, region, accessKey, secretKey, bucket, urlExpiry, publicBaseUrl, retry, requestTimeout,
                Optional.empty());
    }

    /** Settings with the usual defaults: 1 h URL expiry, no public base URL, default retries, 30 s timeout. */
    public static MinioStoreSettings of(URI endpoint, String region, String accessKey, String secretKey, String bucket) {
        return new MinioStoreSettings(endpoint, region, accessKey, secretKey, bucket, Duration.ofHours(1), Optional.empty(),
                RetrySettings.defaults(), Duration.ofSeconds(30));
    }

    public MinioStoreSettings withBucket(String otherBucket) {
        return new MinioStoreSettings(endpoint, region, accessKey, secretKey, otherBucket, urlExpiry, publicBaseUrl, retry, requestTimeout,
                trustCertificates);
    }

    public MinioStoreSettings withPublicBaseUrl(URI url) {
        return new MinioStoreSettings(endpoint, region, accessKey, secretKey, bucket, urlExpiry, Optional.of(url), retry, requestTimeout,
                trustCertificates);
    }

    public MinioStoreSettings withRetry(RetrySettings otherRetry) {
        return new MinioStoreSettings(endpoint, region, accessKey, secretKey, bucket, urlExpiry, publicBaseUrl, otherRetry, requestTimeout,
                trustCertificates);
    }

    public MinioStoreSettings withCredentials(String otherAccessKey, String otherSecretKey) {
        return new MinioStoreSettings(endpoint, region, otherAccessKey, otherSecretKey, bucket, urlExpiry, publicBaseUrl, retry, requestTimeout,
                trustCertificates);
    }

    public MinioStoreSettings withUrlExpiry(Duration expiry) {
        return new MinioStoreSettings(endpoint, region, accessKey, secretKey, bucket, expiry, publicBaseUrl, retry, requestTimeout,
                trustCertificates);
    }

    public MinioStoreSettings withRequestTimeout(Duration timeout) {
        return new MinioStoreSettings(endpoint, region, accessKey, secretKey, bucket, urlExpiry, publicBaseUrl, retry, timeout,
                trustCertificates);
    }

    public MinioStoreSettings withTrustCertificates(Path pem) {
        return new MinioStoreSettings(endpoint, region, accessKey, secretKey, bucket, urlExpiry, publicBaseUrl, retry,
                requestTimeout, Optional.of(pem));
    }

    @Override
    public String toString() {
        return "MinioStoreSettings[endpoint=" + endpoint + ", region=" + region + ", accessKey=" + accessKey
                + ", secretKey=***, bucket=" + bucket + ", urlExpiry=" + urlExpiry + ", publicBaseUrl=" + publicBaseUrl
                + ", retry=" + retry + ", requestTimeout=" + requestTimeout + ", trustCertificates=" + trustCertificates + "]";
    }

    private static void requireText(String value, String name) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(name + " must not be blank");
        }
    }

    private static void requireHttpUri(URI uri, String name) {
        Objects.requireNonNull(uri, name);
        String scheme = uri.getScheme();
        if (!("http".equalsIgnoreCase(scheme) || "https".equalsIgnoreCase(scheme)) || uri.getHost() == null) {
            throw new IllegalArgumentException(name + " must be an absolute http(s) URL with a host, got '" + uri + "'");
        }
        if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw new IllegalArgumentException(name + " must not have a query or fragment, got '" + uri + "'");
        }
    }
}
