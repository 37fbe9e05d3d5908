package org.diffusionworker.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.diffusionworker.client.RequestJson;
import org.diffusionworker.generation.Conditioning;
import picocli.CommandLine.Option;

/**
 * What to condition on (an exclusive picocli group of {@code sample} and {@code submit}): a label, a weighted mix, or
 * nothing. The help texts and the mix's parameter label are each command's own, in its resource bundle.
 */
final class ConditioningOptions {

    @Option(names = "--label", paramLabel = "NAME")
    String label;

    @Option(names = "--context", paramLabel = "${bundle:context.paramLabel:-MIX}")
    String mix;

    @Option(names = "--unconditional")
    boolean unconditional;

    /** The conditioning, or unconditional when {@code options} is null (no flag given). */
    static Conditioning resolve(ConditioningOptions options) {
        if (options == null || options.unconditional) {
            return Conditioning.unconditional();
        }
        return options.label != null ? Conditioning.label(options.label) : Conditioning.parseMix(options.mix);
    }

    /** Puts the label or the mix into a request's JSON; unconditional, or nothing given, puts neither. */
    static void putInto(ConditioningOptions options, RequestJson request) {
        Conditioning conditioning = resolve(options);
        if (conditioning instanceof Conditioning.Label l) {
            request.optional("label", l.name());
        } else if (conditioning instanceof Conditioning.Mix m) {
            ObjectNode context = request.node().putObject("context");
            m.weights().forEach(context::put);
        }
    }
}
