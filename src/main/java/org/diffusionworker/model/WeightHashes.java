package org.diffusionworker.model;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 of weight files, so events and cards can say exactly which weights made an image. */
final class WeightHashes {

    private WeightHashes() {}

    static String sha256(Path file) {
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), MessageDigest.getInstance("SHA-256"))) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
            return HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot hash " + file, e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is always available in the JDK", e);
        }
    }

    /** Hashes {@code file} and, when the card records a hash, insists they agree. */
    static String verify(Path file, ModelSpec.Weights recorded) {
        String actual = sha256(file);
        if (recorded != null && recorded.sha256() != null && !recorded.sha256().equalsIgnoreCase(actual)) {
            throw new InvalidModelException("weight file " + file + " has SHA-256 " + actual
                    + " but its model card records " + recorded.sha256() + " (corrupt or replaced weights)");
        }
        return actual;
    }
}
