package org.diffusionworker.cli;

/** The {@code --threads} option: PyTorch's intra-op thread count, which must be set before the engine starts. */
final class EngineThreads {

    private static final String PROPERTY = "ai.djl.pytorch.num_threads";

    private EngineThreads() {}

    static void apply(Integer threads) {
        if (threads == null) {
            return;
        }
        if (threads < 1) {
            throw new IllegalArgumentException("--threads must be >= 1, got " + threads);
        }
        // Read by DJL's PyTorch engine when it starts; an engine already running keeps its count.
        System.setProperty(PROPERTY, Integer.toString(threads));
    }
}
