package org.diffusionworker.console;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Ctrl-C or SIGTERM during a long native loop, turned into a stop between two of its steps. The JVM's exit runs
 * libtorch's static destructors; a main thread still inside libtorch then (in a backward pass, say) dies of SIGSEGV
 * and leaves an {@code hs_err} file. While installed, a shutdown hook asks the loop to stop ({@link #requested}; the
 * loop then throws {@link Stopped}) and holds the exit until the loop has unwound and freed its native memory
 * ({@link #close}), for at most the grace period.
 */
public final class StopSignal implements AutoCloseable {

    /** How long an exit waits for the step in hand (a checkpoint being written can take seconds). */
    public static final Duration GRACE = Duration.ofSeconds(30);
    /**
     * What a command returns when stopped, 130 as shells report Ctrl-C; the process's own exit status is then the
     * JVM's, 128 + the signal's number.
     */
    public static final int STOPPED = 130;

    /** How a loop ends once a stop was asked for; {@code where} says where it stopped. */
    public static final class Stopped extends RuntimeException {
        Stopped(String where) {
            super("stopped by a signal (Ctrl-C or SIGTERM) " + where);
        }
    }

    private final AtomicBoolean requested = new AtomicBoolean();
    private final CountDownLatch unwound = new CountDownLatch(1);
    private final Thread hook;

    private StopSignal(Duration grace) {
        this.hook = new Thread(() -> {
            requested.set(true);
            try {
                unwound.await(grace.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "stop-signal");
    }

    /** Holds a signal-initiated exit for up to {@code grace} until {@link #close}. */
    public static StopSignal install(Duration grace) {
        StopSignal signal = new StopSignal(grace);
        Runtime.getRuntime().addShutdownHook(signal.hook);
        return signal;
    }

    /** Whether a signal asked for a stop; the loop then throws {@link Stopped} between two steps. */
    public boolean requested() {
        return requested.get();
    }

    /** Lets a held exit go on; call it after the loop's native resources are closed. */
    @Override
    public void close() {
        unwound.countDown();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // The hook is running (a signal came): it returns now that the latch is open.
        }
    }
}
