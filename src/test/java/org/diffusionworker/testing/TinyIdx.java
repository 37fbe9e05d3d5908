package org.diffusionworker.testing;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/** Writes a small labelled IDX dataset of 16 x 16 patterns: 0 a bright left half, 1 a bright top half, 2 a centre block. */
public final class TinyIdx {

    static final int SIZE = 16;

    private TinyIdx() {}

    /** Writes {@code images} and {@code labels} files of {@code count} images; returns the two paths. */
    public static Path[] write(Path directory, String prefix, int count, int classes, long seed) throws IOException {
        SplittableRandom random = new SplittableRandom(seed);
        ByteBuffer images = ByteBuffer.allocate(16 + count * SIZE * SIZE);
        images.putInt(2051).putInt(count).putInt(SIZE).putInt(SIZE);
        ByteBuffer labels = ByteBuffer.allocate(8 + count);
        labels.putInt(2049).putInt(count);
        for (int n = 0; n < count; n++) {
            int label = n % classes;
            labels.put((byte) label);
            int shift = random.nextInt(3);
            for (int y = 0; y < SIZE; y++) {
                for (int x = 0; x < SIZE; x++) {
                    boolean on = switch (label) {
                        case 0 -> x < SIZE / 2 + shift;
                        case 1 -> y < SIZE / 2 + shift;
                        default -> x >= 4 + shift && x < 12 && y >= 4 && y < 12 - shift;
                    };
                    int level = (on ? 220 : 30) + random.nextInt(20);
                    images.put((byte) level);
                }
            }
        }
        Files.createDirectories(directory);
        Path imagesFile = Files.write(directory.resolve(prefix + "-images-idx3-ubyte"), images.array());
        Path labelsFile = Files.write(directory.resolve(prefix + "-labels-idx1-ubyte"), labels.array());
        return new Path[] {imagesFile, labelsFile};
    }
}
