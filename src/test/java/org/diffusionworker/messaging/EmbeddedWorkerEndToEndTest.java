package org.diffusionworker.messaging;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.diffusionworker.testing.EmbeddedInfrastructureResource;

/** The end-to-end contract against the embedded Kafka broker (KRaft, in-process) and S3 server (S3Proxy). */
@QuarkusTest
@WithTestResource(value = EmbeddedInfrastructureResource.class, scope = TestResourceScope.RESTRICTED_TO_CLASS)
class EmbeddedWorkerEndToEndTest extends WorkerEndToEndContract {}
