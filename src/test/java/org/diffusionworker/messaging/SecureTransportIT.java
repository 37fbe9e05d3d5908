package org.diffusionworker.messaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.diffusionworker.embedded.EmbeddedKafkaBroker;
import org.diffusionworker.embedded.EmbeddedS3Server;
import org.diffusionworker.testing.TestCertificates;
import org.diffusionworker.testing.TestKafka;
import org.diffusionworker.testing.WorkerProcess;
import org.diffusionworker.testing.WorkerTestConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The worker on a secured deployment through configuration alone: Kafka over TLS with SCRAM-SHA-512 (the broker's
 * SASL_SSL listener, its certificate trusted from a PEM file) and S3 over HTTPS (the same private CA through
 * {@code diffusionworker.storage.trust-certificates}); every secret comes from the environment, and none appears in
 * the worker's log or in an event.
 */
class SecureTransportIT {

    @TempDir
    static Path directory;

    @Test
    void servesOverKafkaSaslSslAndHttpsS3WithSecretsOnlyInTheEnvironment() throws Exception {
        TestCertificates tls = TestCertificates.create(directory);
        String scramPassword = "scram-" + UUID.randomUUID();
        try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.builder(directory.resolve("kafka"))
                .secureListener(0, tls.keyStore(), tls.password()).build().start();
                EmbeddedS3Server s3 = EmbeddedS3Server.builder(directory.resolve("s3"))
                        .tls(tls.keyStore(), tls.password()).build().start()) {
            kafka.createTopics(WorkerTestConfig.REQUESTS, WorkerTestConfig.EVENTS, WorkerTestConfig.DEAD_LETTERS,
                WorkerTestConfig.CONTROL);
            // The test's own clients use the plaintext listener: the worker is what is under test.
            TestKafka clients = new TestKafka(kafka.bootstrapServers());
            kafka.upsertScramUser("diffusion-worker", scramPassword);
            assertTrue(s3.endpoint().toString().startsWith("https://"), s3.endpoint().toString());

            WorkerProcess worker = WorkerProcess.start(directory, kafka, s3, "secure", Map.of(
                    "kafka.bootstrap.servers", kafka.secureBootstrapServers(),
                    "kafka.security.protocol", "SASL_SSL",
                    "kafka.sasl.mechanism", "SCRAM-SHA-512",
                    "kafka.ssl.truststore.type", "PEM",
                    "kafka.ssl.truststore.location", tls.certificatePem().toString(),
                    "diffusionworker.storage.trust-certificates", tls.certificatePem().toString()),
                    // The JAAS line holds the password: environment only, as from a Kubernetes secret.
                    Map.of("KAFKA_SASL_JAAS_CONFIG", "org.apache.kafka.common.security.scram.ScramLoginModule"
                            + " required username=\"diffusion-worker\" password=\"" + scramPassword + "\";"));
            try {
                worker.awaitReady();
                List<String> ids = new ArrayList<>();
                for (int i = 0; i < 4; i++) {
                    String id = "secure-" + i;
                    ObjectNode r = TestKafka.JSON.createObjectNode().put("requestId", id).put("seed", i)
                            .put("label", "sneaker").put("count", 1 + i).put("steps", 5);
                    clients.send(id, r.toString());
                    ids.add(id);
                }
                Map<String, TestKafka.Event> events = clients.await(ids, 1);
                HttpClient https = HttpClient.newBuilder().sslContext(trusting(tls.certificatePem())).build();
                for (TestKafka.Event e : events.values()) {
                    assertEquals("COMPLETED", e.status(), e.body().toString());
                    String url = e.body().path("image").path("url").asText();
                    assertTrue(url.startsWith("https://127.0.0.1:"), url);
                    HttpResponse<byte[]> png = https.send(HttpRequest.newBuilder(URI.create(url)).build(),
                            HttpResponse.BodyHandlers.ofByteArray());
                    assertEquals(200, png.statusCode(), url);
                    BufferedImage image = ImageIO.read(new ByteArrayInputStream(png.body()));
                    assertEquals(e.body().path("image").path("width").asInt(), image.getWidth());
                    String body = e.body().toString();
                    assertFalse(body.contains(scramPassword) || body.contains(s3.credentials().secretKey()),
                            "an event carries a secret: " + body);
                }
            } finally {
                worker.process().destroy();
                worker.process().waitFor(120, TimeUnit.SECONDS);
                clients.close();
            }
            String log = worker.output();
            assertTrue(log.contains("COMPLETED"), log);
            assertFalse(log.contains(scramPassword), "the SCRAM password is in the worker's log");
            assertFalse(log.contains(s3.credentials().secretKey()), "the S3 secret key is in the worker's log");
            assertFalse(log.contains(tls.password()), "the key store password is in the worker's log");
        }
    }

    private static SSLContext trusting(Path pem) throws Exception {
        KeyStore trusted = KeyStore.getInstance(KeyStore.getDefaultType());
        trusted.load(null, null);
        try (InputStream in = Files.newInputStream(pem)) {
            trusted.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trusted);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, tmf.getTrustManagers(), null);
        return context;
    }
}
