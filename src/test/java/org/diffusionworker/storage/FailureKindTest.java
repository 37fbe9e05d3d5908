package org.diffusionworker.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.security.InvalidKeyException;

import org.junit.jupiter.api.Test;

import io.minio.errors.InvalidResponseException;
import io.minio.errors.ServerException;

/**
 * The classification of failures that the contract tests cannot provoke from a healthy server (5xx, proxy error
 * pages). S3 error responses (403, 404) are covered there, against real servers.
 */
class FailureKindTest {

    @Test
    void networkFailuresAreTransient() {
        assertEquals(FailureKind.TRANSIENT, FailureKind.of(new ConnectException("Connection refused")));
        assertEquals(FailureKind.TRANSIENT, FailureKind.of(new SocketTimeoutException("timeout")));
        assertEquals(FailureKind.TRANSIENT, FailureKind.of(new IOException("unexpected end of stream")));
    }

    @Test
    void serverErrorsWithoutBodyAreTransientOnlyFor5xxAnd429() {
        assertEquals(FailureKind.TRANSIENT, FailureKind.of(new ServerException("server failed with HTTP status code 503", 503, "")));
        assertEquals(FailureKind.TRANSIENT, FailureKind.of(new ServerException("server failed with HTTP status code 429", 429, "")));
        assertEquals(FailureKind.PERMANENT, FailureKind.of(new ServerException("server failed with HTTP status code 418", 418, "")));
    }

    @Test
    void errorPagesOfAProxyInFrontOfTheStoreAreTransientFor5xx() {
        assertEquals(FailureKind.TRANSIENT, FailureKind.of(new InvalidResponseException(502, "text/html", "<html>Bad Gateway</html>", "")));
        assertEquals(FailureKind.PERMANENT, FailureKind.of(new InvalidResponseException(400, "text/html", "<html>Bad Request</html>", "")));
    }

    @Test
    void localFaultsArePermanent() {
        assertEquals(FailureKind.PERMANENT, FailureKind.of(new InvalidKeyException("bad key")));
        assertEquals(FailureKind.PERMANENT, FailureKind.of(new IllegalStateException("bug")));
    }
}
