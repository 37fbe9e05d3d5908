package org.diffusionworker.messaging;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.diffusionworker.testing.ContainerInfrastructureResource;
import org.testcontainers.junit.jupiter.Testcontainers;

/** The same contract against Testcontainers' Kafka and MinIO; skipped (and reported so) where Docker is missing. */
@QuarkusTest
@Testcontainers(disabledWithoutDocker = true)
@WithTestResource(value = ContainerInfrastructureResource.class, scope = TestResourceScope.RESTRICTED_TO_CLASS)
class ContainersWorkerEndToEndTest extends WorkerEndToEndContract {}
