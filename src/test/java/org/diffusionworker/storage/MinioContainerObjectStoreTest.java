package org.diffusionworker.storage;

import java.net.URI;

import org.testcontainers.containers.MinIOContainer;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;

/** The object store contract against a real MinIO server; skipped (and reported so) where Docker is missing. */
@Testcontainers(disabledWithoutDocker = true)
class MinioContainerObjectStoreTest extends ObjectStoreContract {

    private static final String IMAGE = "minio/minio:RELEASE.2023-09-04T19-57-37Z";

    @Container
    static final MinIOContainer MINIO = new MinIOContainer(IMAGE);

    @Override
    S3Access sharedServer() {
        return accessTo(MINIO);
    }

    @Override
    DedicatedServer startDedicatedServer() {
        MinIOContainer container = new MinIOContainer(IMAGE);
        container.start();
        return new DedicatedServer(accessTo(container), container::stop);
    }

    private static S3Access accessTo(MinIOContainer container) {
        return new S3Access(URI.create(container.getS3URL()), "us-east-1", container.getUserName(), container.getPassword());
    }
}
