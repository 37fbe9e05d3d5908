package org.diffusionworker.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The model in {@code models/fashion-mnist}: {@code sample} loads it when no model is named (its
 * card's SHA-256 is checked on load), and it draws clothes on a dark background where the
 * random-weight test model draws noise. How well it draws them is measured by {@code evaluate}
 * (models/fashion-mnist/evaluation), which needs the real data.
 */
class ShippedModelTest {

    @TempDir
    Path temp;

    @Test
    void sampleUsesTheShippedModelWhenNoneIsNamedAndItDrawsImagesNotNoise() throws IOException {
        // In a folder that does not exist yet: sample creates it.
        Path shipped = temp.resolve("new-folder").resolve("shipped.png");
        String line = sample(shipped);
        assertTrue(line.contains("4 image(s) of trouser") && line.contains("model fashion-mnist"), line);

        Path random = temp.resolve("random.png");
        sample(random, "--model", "src/test/resources/models/random-gray28");

        Texture trained = Texture.of(ImageIO.read(shipped.toFile()));
        Texture noise = Texture.of(ImageIO.read(random.toFile()));
        // Fashion-MNIST items are smooth shapes on black; the random network's output is not.
        assertTrue(trained.darkFraction() > 0.3, "dark background expected: " + trained);
        assertTrue(trained.neighbourDifference() < noise.neighbourDifference() / 2,
                "trained " + trained + " against random weights " + noise);
    }

    private static String sample(Path out, String... more) {
        String[] base = {"-q", "--device", "cpu", "--label", "trouser", "--count", "4", "--steps", "10",
            "--seed", "7", "--out", out.toString()};
        String[] args = new String[base.length + more.length];
        System.arraycopy(base, 0, args, 0, base.length);
        System.arraycopy(more, 0, args, base.length, more.length);
        StringWriter stdout = new StringWriter();
        CommandLine command = new CommandLine(new SampleCommand());
        command.setOut(new PrintWriter(stdout, true));
        assertEquals(0, command.execute(args), stdout.toString());
        return stdout.toString();
    }

    /** Mean absolute difference of horizontal neighbours and the share of near-black pixels, in [0, 1]. */
    private record Texture(double neighbourDifference, double darkFraction) {

        static Texture of(BufferedImage image) {
            double difference = 0;
            long dark = 0;
            for (int y = 0; y < image.getHeight(); y++) {
                for (int x = 0; x < image.getWidth(); x++) {
                    int grey = image.getRaster().getSample(x, y, 0);
                    dark += grey < 32 ? 1 : 0;
                    if (x > 0) {
                        difference += Math.abs(grey - image.getRaster().getSample(x - 1, y, 0)) / 255.0;
                    }
                }
            }
            return new Texture(difference / ((image.getWidth() - 1.0) * image.getHeight()),
                    (double) dark / ((long) image.getWidth() * image.getHeight()));
        }
    }
}
