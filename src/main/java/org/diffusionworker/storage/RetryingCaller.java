package org.diffusionworker.storage;

import java.lang.System.Logger.Level;
import java.time.Duration;


import io.minio.errors.ErrorResponseException;

/**
 * Runs one store call, repeating it after transient failures as {@link RetrySettings} allow, and turns what finally
 * fails into this package's exceptions.
 */
final class RetryingCaller {

    private static final System.Logger LOG = System.getLogger(RetryingCaller.class.getName());

    /** One call to the store; the MinIO client throws a handful of checked exceptions. */
    @FunctionalInterface
    interface StoreCall<T> {
        T call() throws Exception;
    }

    private final RetrySettings settings;
    private final String storeName;

    RetryingCaller(RetrySettings settings, String storeName) {
        this.settings = settings;
        this.storeName = storeName;
    }

    /**
     * Returns what {@code call} returns. Throws {@link StorageUnavailableException} when every attempt failed
     * transiently, {@link ObjectNotFoundException} when the key or bucket does not exist and
     * {@link ObjectStoreException} for any other failure (not retried).
     */
    <T> T call(String operation, StoreCall<T> call) {
        for (int attempt = 1; ; attempt++) {
            try {
                return call.call();
            } catch (Exception failure) {
                FailureKind kind = FailureKind.of(failure);
                String what = operation + " on " + storeName;
                if (kind == FailureKind.NOT_FOUND) {
                    throw new ObjectNotFoundException(what + " failed: not found (" + describe(failure) + ")", failure);
                }
                if (kind == FailureKind.PERMANENT) {
                    throw new ObjectStoreException(what + " failed and will not be retried: " + describe(failure), attempt, failure);
                }
                if (attempt >= settings.maxAttempts()) {
                    throw new StorageUnavailableException(what + " failed " + attempt + " time(s) with transient errors; last: "
                            + describe(failure), attempt, failure);
                }
                Duration backoff = settings.backoffAfter(attempt);
                LOG.log(Level.WARNING, String.format(
                        "%s failed (attempt %d of %d): %s; retrying in %d ms", what, attempt, settings.maxAttempts(),
                        describe(failure), backoff.toMillis()));
                pause(backoff, what, attempt, failure);
            }
        }
    }

    /**
     * The backoff itself. A deliberate delay between attempts, not a wait for some condition: there is nothing to wait
     * on that would tell us the store is back, so the caller's thread (a worker that cannot go on without storage)
     * simply waits its turn.
     */
    private static void pause(Duration backoff, String what, int attempt, Exception lastFailure) {
        try {
            Thread.sleep(backoff.toMillis(), backoff.toNanosPart() % 1_000_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            StorageUnavailableException interrupted = new StorageUnavailableException(
                    what + " interrupted while waiting to retry", attempt, lastFailure);
            interrupted.addSuppressed(e);
            throw interrupted;
        }
    }

    private static String describe(Exception failure) {
        if (failure instanceof ErrorResponseException error) {
            return "S3 error " + error.errorResponse().code() + " (HTTP " + error.response().code() + "): " + error.errorResponse().message();
        }
        String message = failure.getMessage();
        return failure.getClass().getSimpleName() + (message == null ? "" : ": " + message);
    }
}
