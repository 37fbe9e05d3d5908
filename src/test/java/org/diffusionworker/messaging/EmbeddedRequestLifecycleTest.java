package org.diffusionworker.messaging;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.diffusionworker.testing.EmbeddedInfrastructureResource;

/** The request-lifecycle contract against the embedded Kafka broker and S3 server. */
@QuarkusTest
@WithTestResource(value = EmbeddedInfrastructureResource.class, scope = TestResourceScope.RESTRICTED_TO_CLASS)
class EmbeddedRequestLifecycleTest extends RequestLifecycleContract {}
