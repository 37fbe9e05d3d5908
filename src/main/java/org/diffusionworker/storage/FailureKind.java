package org.diffusionworker.storage;

import java.io.IOException;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.minio.errors.ErrorResponseException;
import io.minio.errors.InvalidResponseException;
import io.minio.errors.ServerException;

/** Sorts a failed MinIO call into: try again, the object is not there, or give up. */
enum FailureKind {

    /** The store is down, overloaded or had a hiccup; the same call may succeed a little later. */
    TRANSIENT,
    /** The key (or bucket) does not exist. */
    NOT_FOUND,
    /** The store refused the call (credentials, permissions, bad request); repeating it will not help. */
    PERMANENT;

    // S3 error codes that mean "later", whatever the HTTP status (AWS S3 API reference, "Error responses").
    private static final Set<String> TRANSIENT_CODES = Set.of(
            "SlowDown", "ServiceUnavailable", "InternalError", "RequestTimeout", "Throttling", "RequestLimitExceeded",
            "XMinioServerNotInitialized", "XMinioReadQuorum", "XMinioWriteQuorum");
    private static final Set<String> NOT_FOUND_CODES = Set.of("NoSuchKey", "NoSuchBucket", "NoSuchObject");
    // InvalidResponseException (a non-XML error page, e.g. from a proxy in front of the store) carries its HTTP status
    // only in the message: "Non-XML response from server. Response code: 502, ...".
    private static final Pattern NON_XML_STATUS = Pattern.compile("Response code: (\\d{3})");

    static FailureKind of(Exception failure) {
        if (failure instanceof IOException) {
            // Connection refused or reset, timeouts: the network or the store process.
            return TRANSIENT;
        }
        if (failure instanceof ErrorResponseException error) {
            String code = error.errorResponse().code();
            if (TRANSIENT_CODES.contains(code) || isTransientStatus(error.response().code())) {
                return TRANSIENT;
            }
            return NOT_FOUND_CODES.contains(code) ? NOT_FOUND : PERMANENT;
        }
        if (failure instanceof ServerException error) {
            return isTransientStatus(error.statusCode()) ? TRANSIENT : PERMANENT;
        }
        if (failure instanceof InvalidResponseException error) {
            Matcher status = NON_XML_STATUS.matcher(String.valueOf(error.getMessage()));
            return status.find() && isTransientStatus(Integer.parseInt(status.group(1))) ? TRANSIENT : PERMANENT;
        }
        // InvalidKeyException, NoSuchAlgorithmException, XmlParserException, InsufficientDataException,
        // InternalException: a fault here or in the store's answer, not a passing condition.
        return PERMANENT;
    }

    private static boolean isTransientStatus(int status) {
        // 408 Request Timeout and 429 Too Many Requests are the only 4xx that ask to come back later.
        return status >= 500 || status == 408 || status == 429;
    }
}
