package org.diffusionworker.storage;

import java.nio.file.Path;

import org.diffusionworker.embedded.EmbeddedS3Server;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/** The object store contract against the embedded S3 server (S3Proxy, filesystem backend). */
class S3ProxyObjectStoreTest extends ObjectStoreContract {

    @TempDir
    static Path directory;

    private static EmbeddedS3Server shared;

    @BeforeAll
    static void startServer() {
        shared = EmbeddedS3Server.builder(directory.resolve("shared")).build().start();
    }

    @AfterAll
    static void stopServer() {
        shared.close();
    }

    @Override
    S3Access sharedServer() {
        return accessTo(shared);
    }

    @Override
    DedicatedServer startDedicatedServer() {
        EmbeddedS3Server server = EmbeddedS3Server.builder(directory.resolve("dedicated-" + System.nanoTime())).build().start();
        return new DedicatedServer(accessTo(server), server::close);
    }

    private static S3Access accessTo(EmbeddedS3Server server) {
        return new S3Access(server.endpoint(), server.region(), server.credentials().accessKey(), server.credentials().secretKey());
    }
}
