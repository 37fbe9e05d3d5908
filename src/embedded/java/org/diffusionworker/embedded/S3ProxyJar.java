package org.diffusionworker.embedded;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Finds the S3Proxy server jar ({@code org.gaul:s3proxy:jar-with-dependencies}) without downloading anything.
 *
 * <p>Looked for, in order:
 * <ol>
 *   <li>the path in the system property {@value #JAR_PROPERTY} (the test run sets it; a demo run may);</li>
 *   <li>{@code target/embedded/s3proxy.jar} under the working directory, where the Maven build copies it;</li>
 *   <li>the local Maven repository ({@code maven.repo.local} or {@code ~/.m2/repository}), where the build
 *       downloaded it.</li>
 * </ol>
 */
public final class S3ProxyJar {

    /** System property naming the jar explicitly. */
    public static final String JAR_PROPERTY = "embedded.s3proxy.jar";

    /** The S3Proxy version the build copies; keep equal to {@code s3proxy.version} in pom.xml (a test checks). */
    public static final String VERSION = "2.6.0";

    private S3ProxyJar() {
    }

    /** Returns the jar's path, or fails with a message listing where it looked and how to get the jar there. */
    public static Path locate() {
        return locate(System.getProperty(JAR_PROPERTY));
    }

    /** As {@link #locate()}, with the value of {@value #JAR_PROPERTY} passed in (null when unset). */
    static Path locate(String explicit) {
        if (explicit != null && !explicit.isBlank()) {
            Path jar = Path.of(explicit);
            if (!Files.isRegularFile(jar)) {
                throw new IllegalStateException("system property " + JAR_PROPERTY + " names " + jar.toAbsolutePath()
                        + ", which is not a file; run `./mvnw -B generate-resources` or correct the property");
            }
            return jar;
        }
        List<Path> candidates = defaultCandidates();
        Optional<Path> found = candidates.stream().filter(Files::isRegularFile).findFirst();
        return found.orElseThrow(() -> new IllegalStateException("S3Proxy " + VERSION + " jar not found; looked at "
                + candidates.stream().map(Path::toString).collect(Collectors.joining(", "))
                + ". Run `./mvnw -B generate-resources` in the project (it copies the jar to target/embedded/s3proxy.jar)"
                + " or set -D" + JAR_PROPERTY + "=<path to s3proxy-" + VERSION + "-jar-with-dependencies.jar>"));
    }

    private static List<Path> defaultCandidates() {
        List<Path> candidates = new ArrayList<>();
        candidates.add(Path.of("target", "embedded", "s3proxy.jar").toAbsolutePath());
        candidates.add(localMavenRepository().resolve(Path.of("org", "gaul", "s3proxy", VERSION,
                "s3proxy-" + VERSION + "-jar-with-dependencies.jar")));
        return candidates;
    }

    private static Path localMavenRepository() {
        String configured = System.getProperty("maven.repo.local");
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured);
        }
        return Path.of(System.getProperty("user.home"), ".m2", "repository");
    }
}
