package org.diffusionworker.cli;

import org.diffusionworker.client.RequestJson;
import picocli.CommandLine.Option;

/**
 * How to sample, as the commands that ask for images take it (a picocli mixin of {@code sample} and {@code submit}):
 * how many images, the sampler and its steps and eta, the guidance weight, the seed and the grid's columns. An option
 * not given stays null, and each command decides what that means: {@code sample} uses its own defaults, {@code submit}
 * leaves the field out of the request so that the worker decides. So the help texts, which name those defaults, are
 * the commands' own: in each command's resource bundle ({@code <Command>.properties} beside the class), under the
 * option's name.
 */
final class SamplingOptions {

    @Option(names = "--count")
    Integer count;

    @Option(names = "--sampler", paramLabel = "ddim|ddpm|dpmpp-2m|unipc")
    String sampler;

    @Option(names = "--steps")
    Integer steps;

    @Option(names = "--eta")
    Double eta;

    @Option(names = "--guidance")
    Double guidance;

    @Option(names = "--seed")
    Long seed;

    @Option(names = "--columns")
    Integer columns;

    /** Puts the options given into a request's JSON (docs/messages.md); those not given are left to the worker. */
    void putInto(RequestJson request) {
        request.optional("count", count).optional("sampler", sampler).optional("steps", steps).optional("eta", eta)
                .optional("guidance", guidance).optional("seed", seed).optional("columns", columns);
    }
}
