/**
 * The benchmark harness behind {@code benchmark} ({@link org.diffusionworker.benchmark.BenchmarkRun}): sampling and
 * training throughput of the Java blocks, the same weights as TorchScript, and the tuned PyTorch reference as a child
 * process, interleaved; medians and spreads, GFLOP/s against the fp32 ceiling, as markdown. Only the command line
 * imports it.
 */
package org.diffusionworker.benchmark;
