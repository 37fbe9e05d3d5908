package org.diffusionworker.embedded;

import java.security.SecureRandom;
import java.util.Objects;

/** An S3 access key and secret key; {@link #toString()} leaves the secret out so it cannot reach a log by accident. */
public record S3Credentials(String accessKey, String secretKey) {

    private static final String ACCESS_KEY_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    private static final String SECRET_KEY_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    public S3Credentials {
        Objects.requireNonNull(accessKey, "accessKey");
        Objects.requireNonNull(secretKey, "secretKey");
    }

    /** Fresh random credentials in the shape AWS uses (20-character key id, 40-character secret). */
    static S3Credentials random() {
        SecureRandom random = new SecureRandom();
        return new S3Credentials(randomString(random, ACCESS_KEY_ALPHABET, 20), randomString(random, SECRET_KEY_ALPHABET, 40));
    }

    @Override
    public String toString() {
        return "S3Credentials[accessKey=" + accessKey + ", secretKey=***]";
    }

    private static String randomString(SecureRandom random, String alphabet, int length) {
        StringBuilder result = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            result.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return result.toString();
    }
}
