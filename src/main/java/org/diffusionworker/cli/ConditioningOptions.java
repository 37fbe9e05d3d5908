package org.diffusionworker.cli;

import org.diffusionworker.generation.Conditioning;
import picocli.CommandLine.Option;

/** What to condition on (an exclusive picocli group): a label, a weighted mix, or nothing. */
final class ConditioningOptions {

    @Option(names = "--label", paramLabel = "NAME", description = "Generate this label (one-hot context).")
    String label;

    @Option(names = "--context", paramLabel = "MIX", description = "Weighted mix of labels, e.g. sneaker=0.6,bag=0.4.")
    String mix;

    @Option(names = "--unconditional", description = "No context (the zero vector).")
    boolean unconditional;

    /** The conditioning, or unconditional when {@code options} is null (no flag given). */
    static Conditioning resolve(ConditioningOptions options) {
        if (options == null || options.unconditional) {
            return Conditioning.unconditional();
        }
        return options.label != null ? Conditioning.label(options.label) : Conditioning.parseMix(options.mix);
    }
}
