package org.diffusionworker.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.diffusionworker.messaging.EmbeddedInfrastructureResource;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@code submit --follow} and {@code submit --cancel} against a real worker (the application under
 * {@code @QuarkusTest}, the embedded Kafka broker and S3 server), through the application's own command line.
 */
@QuarkusTest
@WithTestResource(value = EmbeddedInfrastructureResource.class, scope = TestResourceScope.RESTRICTED_TO_CLASS)
@Tag("quarkus")
class SubmitCommandTest {

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    @Inject
    Instance<CommandLine> commandLines;

    private CommandRun run(String... args) {
        return CommandRun.of(commandLines.get(), args);
    }

    @Test
    void followPrintsStartedAndProgressThenTheUrl() {
        CommandRun r = run("submit", "--bootstrap-servers", bootstrapServers, "--label", "bag", "--count", "2",
                "--steps", "150", "--seed", "3", "--follow", "--timeout", "3m");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.err().contains(" STARTED after "), r.err());
        assertTrue(r.err().contains(" PROGRESS step "), r.err());
        assertTrue(r.err().indexOf(" STARTED after ") < r.err().indexOf(" PROGRESS step "), r.err());
        assertTrue(r.out().trim().startsWith("http"), "the URL on stdout: " + r.out());
    }

    @Test
    void cancelTakesARunningRequestBack() throws Exception {
        String id = "submit-cancel-" + UUID.randomUUID().toString().substring(0, 8);
        CompletableFuture<CommandRun> request = CompletableFuture.supplyAsync(() -> run("submit", "--bootstrap-servers",
                bootstrapServers, "--id", id, "--label", "coat", "--count", "2", "--steps", "500", "--follow",
                "--timeout", "3m"));
        CommandRun cancel = run("submit", "--bootstrap-servers", bootstrapServers, "--cancel", id, "--follow",
                "--timeout", "3m");
        CommandRun followed = request.get(4, TimeUnit.MINUTES);

        assertEquals(SubmitCommand.CANCELED_EXIT_CODE, cancel.code(), cancel.out() + cancel.err());
        assertTrue(cancel.err().contains("sent cancel of " + id), cancel.err());
        assertTrue(cancel.err().contains(id + " CANCELED while "), cancel.err());
        assertEquals(SubmitCommand.CANCELED_EXIT_CODE, followed.code(), followed.out() + followed.err());
        assertTrue(followed.err().contains(id + " CANCELED while "), followed.err());
    }

    @Test
    void aCancelWithoutAValidIdIsRefused() {
        CommandRun r = run("submit", "--bootstrap-servers", bootstrapServers, "--cancel", "not/valid");
        assertEquals(2, r.code(), r.out() + r.err());
        assertTrue(r.err().contains("--cancel"), r.err());
    }
}
