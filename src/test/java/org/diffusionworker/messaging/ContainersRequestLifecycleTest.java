package org.diffusionworker.messaging;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.diffusionworker.testing.ContainerInfrastructureResource;
import org.testcontainers.junit.jupiter.Testcontainers;

/** The request-lifecycle contract against Testcontainers' Kafka and MinIO; skipped (and reported so) without Docker. */
@QuarkusTest
@Testcontainers(disabledWithoutDocker = true)
@WithTestResource(value = ContainerInfrastructureResource.class, scope = TestResourceScope.RESTRICTED_TO_CLASS)
class ContainersRequestLifecycleTest extends RequestLifecycleContract {}
