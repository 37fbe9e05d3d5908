package org.diffusionworker.benchmark;

import java.util.Optional;

/**
 * The benchmark's table rows. Images/s and GFLOP/s as {@code median (min-max)} over the repeats;
 * ratios as the median (and range) of the ratios of repeats run next to each other.
 */
final class BenchmarkTables {

    private static final String NONE = "n/a";

    private BenchmarkTables() {}

    static void samplingHeader(MarkdownReport report) {
        report.line("| model | sampler | batch | Java blocks images/s | TorchScript images/s | packed TorchScript images/s"
                + " | bf16 TorchScript images/s | PyTorch images/s | Java / PyTorch | TorchScript / PyTorch"
                + " | packed / PyTorch | Java / TorchScript | bf16 / PyTorch | GFLOP/s Java / TorchScript / packed / PyTorch |");
        report.line("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    }

    /** {@code flopsPerImage}: FLOPs to make one image (network calls of a full run x FLOPs per call). */
    static void samplingRow(MarkdownReport report, String model, String sampler, int batch, Spread java,
            Optional<Spread> script, Optional<Spread> packed, Optional<Spread> bf16, Optional<Spread> torch,
            double flopsPerImage) {
        report.line("| %s | %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s / %s / %s / %s |", model,
                sampler, batch, java.format(2), format(script, 2), format(packed, 2), format(bf16, 2), format(torch, 2),
                ratio(Optional.of(java), torch), ratio(script, torch), ratio(packed, torch),
                ratio(Optional.of(java), script), ratio(bf16, torch), gflops(Optional.of(java), flopsPerImage),
                gflops(script, flopsPerImage), gflops(packed, flopsPerImage), gflops(torch, flopsPerImage));
    }

    static void trainingHeader(MarkdownReport report) {
        report.line("| model | step | batch | Java images/s | PyTorch images/s | Java / PyTorch"
                + " | GFLOP/s Java / PyTorch |");
        report.line("|---|---|---:|---:|---:|---:|---:|");
    }

    static void trainingRow(MarkdownReport report, String model, String step, int batch, Spread java,
            Optional<Spread> torch, double flopsPerImage) {
        report.line("| %s | %s | %d | %s | %s | %s | %s / %s |", model, step, batch, java.format(1),
                format(torch, 1), ratio(Optional.of(java), torch), gflops(Optional.of(java), flopsPerImage),
                gflops(torch, flopsPerImage));
    }

    private static String format(Optional<Spread> spread, int decimals) {
        return spread.map(s -> s.format(decimals)).orElse(NONE);
    }

    private static String ratio(Optional<Spread> numerator, Optional<Spread> denominator) {
        return numerator.isPresent() && denominator.isPresent()
                ? Spread.pairedRatios(numerator.get(), denominator.get()).format(2) : NONE;
    }

    private static String gflops(Optional<Spread> imagesPerSecond, double flopsPerImage) {
        return imagesPerSecond.map(s -> String.format(java.util.Locale.ROOT, "%.1f",
                s.median() * flopsPerImage / 1e9)).orElse(NONE);
    }
}
