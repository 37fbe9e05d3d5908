package org.diffusionworker.testing;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * While open, a background thread keeps collecting garbage and refilling freed native memory with
 * 1e6f. Native memory that the engine still reads after DJL released its Java owner (a scalar
 * operand closed before backward, an array created from a Java buffer and closed too early) is
 * then freed and overwritten while the computation runs, instead of by luck some time later.
 */
public final class GarbageCollectorStorm implements AutoCloseable {

    private static final long PAUSE_NANOS = 5_000_000;

    private final Thread thread;
    private volatile boolean running = true;

    public GarbageCollectorStorm() {
        thread = new Thread(this::storm, "gc-storm");
        thread.setDaemon(true);
        thread.start();
    }

    private void storm() {
        while (running) {
            System.gc();
            List<ByteBuffer> filler = new ArrayList<>();
            for (int i = 0; i < 256; i++) {
                ByteBuffer buffer = ByteBuffer.allocateDirect(64).order(ByteOrder.nativeOrder());
                for (int j = 0; j < 16; j++) {
                    buffer.putFloat(4 * j, 1e6f);
                }
                filler.add(buffer);
            }
            filler.clear();
            // A pause between collections, so the storm does not take a whole core from the test.
            LockSupport.parkNanos(PAUSE_NANOS);
        }
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.join();
    }
}
