package org.diffusionworker.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.diffusionworker.testing.CommandRun;
import org.diffusionworker.testing.EmbeddedInfrastructureResource;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
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
    void layoutsPrintTheGridThenEachImageUrlAndDownloadTheImages(@TempDir Path dir) throws Exception {
        CommandRun both = run("submit", "--bootstrap-servers", bootstrapServers, "--label", "bag", "--count", "3",
                "--steps", "5", "--seed", "3", "--layout", "both", "--timeout", "3m");
        assertEquals(0, both.code(), both.out() + both.err());
        List<String> urls = both.out().lines().toList();
        assertEquals(4, urls.size(), "the grid, then 3 images: " + both.out());
        assertTrue(urls.get(0).contains("/grid.png"), urls.get(0));
        for (int i = 0; i < 3; i++) {
            assertTrue(urls.get(i + 1).contains("/images/" + i + ".png?"), urls.get(i + 1));
        }
        assertTrue(both.err().contains("3 image(s), 62x62 px grid, 3 single PNG(s)"), both.err());

        Path images = dir.resolve("images");
        CommandRun only = run("submit", "--bootstrap-servers", bootstrapServers, "--label", "coat", "--count", "2",
                "--steps", "5", "--layout", "images", "--download-images", images.toString(), "--timeout", "3m");
        assertEquals(0, only.code(), only.out() + only.err());
        assertEquals(2, only.out().lines().count(), "no grid, 2 images: " + only.out());
        for (int i = 0; i < 2; i++) {
            BufferedImage png = ImageIO.read(images.resolve(i + ".png").toFile());
            assertEquals(28, png.getWidth());
        }
    }

    @Test
    void aLayoutTheWorkerDoesNotKnowOrADownloadItCannotHaveIsRefusedBeforeSending() {
        CommandRun tiles = run("submit", "--bootstrap-servers", bootstrapServers, "--layout", "tiles");
        assertEquals(2, tiles.code(), tiles.out() + tiles.err());
        assertTrue(tiles.err().contains("--layout must be grid, images or both"), tiles.err());
        CommandRun noGrid = run("submit", "--bootstrap-servers", bootstrapServers, "--layout", "images", "--download",
                "x.png");
        assertEquals(2, noGrid.code(), noGrid.out() + noGrid.err());
        assertTrue(noGrid.err().contains("--download-images"), noGrid.err());
        CommandRun noImages = run("submit", "--bootstrap-servers", bootstrapServers, "--download-images", "dir");
        assertEquals(2, noImages.code(), noImages.out() + noImages.err());
        assertTrue(noImages.err().contains("--layout images or both"), noImages.err());
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
