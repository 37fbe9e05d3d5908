package org.diffusionworker.embedded;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedS3ServerTest {

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void answersOnLoopbackUntilClosedAndLeavesNoSecretBehind(@TempDir Path directory) throws Exception {
        EmbeddedS3Server server = EmbeddedS3Server.builder(directory).build().start();
        String secret = server.credentials().secretKey();
        try {
            assertEquals("127.0.0.1", server.endpoint().getHost());
            // An anonymous request is refused by S3 authentication, which proves S3Proxy (not just a port) answers.
            HttpResponse<String> anonymous = http.send(HttpRequest.newBuilder(server.endpoint()).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(403, anonymous.statusCode(), anonymous.body());
            assertFalse(Files.exists(directory.resolve("s3proxy.properties")), "generated configuration holds the secret");
        } finally {
            server.close();
        }
        server.close();

        assertThrows(ConnectException.class, () -> http.send(HttpRequest.newBuilder(server.endpoint()).GET().build(),
                HttpResponse.BodyHandlers.discarding()));
        assertFalse(Files.readString(directory.resolve("s3proxy.log")).contains(secret), "secret in S3Proxy's output");
        assertFalse(server.toString().contains(secret));
        assertFalse(server.credentials().toString().contains(secret));
    }

    @Test
    void childThatCannotStartFailsWithItsOutput(@TempDir Path directory) throws IOException {
        Path notAJar = Files.writeString(directory.resolve("broken.jar"), "not a jar");

        IllegalStateException failure = assertThrows(IllegalStateException.class,
                () -> EmbeddedS3Server.builder(directory.resolve("data")).jar(notAJar).startupTimeout(Duration.ofSeconds(20)).build().start());

        assertTrue(failure.getMessage().contains("S3Proxy exited"), failure.getMessage());
        // The JVM's complaint about the jar is the tail of the child's output.
        assertTrue(failure.getMessage().contains("Invalid or corrupt jarfile"), failure.getMessage());
    }

    @Test
    void jarVersionMatchesTheBuild() {
        // The build passes s3proxy.version from pom.xml; the fallback lookup in ~/.m2 relies on the constant.
        String buildVersion = System.getProperty("embedded.s3proxy.version");
        if (buildVersion != null) {
            assertEquals(buildVersion, S3ProxyJar.VERSION, "S3ProxyJar.VERSION must follow s3proxy.version in pom.xml");
        }
        assertTrue(Files.isRegularFile(S3ProxyJar.locate()));
    }

    @Test
    void missingExplicitJarIsReportedWithTheFix() {
        IllegalStateException failure = assertThrows(IllegalStateException.class, () -> S3ProxyJar.locate("/nonexistent/s3proxy.jar"));

        assertTrue(failure.getMessage().contains("/nonexistent/s3proxy.jar"), failure.getMessage());
        assertTrue(failure.getMessage().contains("generate-resources"), failure.getMessage());
    }
}
