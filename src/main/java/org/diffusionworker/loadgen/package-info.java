/**
 * The load generator behind {@code loadgen}: a planned load of requests ({@link org.diffusionworker.loadgen.LoadPlan}),
 * sent to a running worker through Kafka with the plain clients of {@code client}, the events collected and the
 * worker group's lag sampled ({@link org.diffusionworker.loadgen.LoadRun}), and the report with its CSVs and plots.
 * Only the command line imports it.
 */
package org.diffusionworker.loadgen;
