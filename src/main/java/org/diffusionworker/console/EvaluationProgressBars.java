package org.diffusionworker.console;

import java.time.Duration;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.diffusionworker.training.evaluation.EvaluationProgress;

/** An evaluation's tasks as progress bars on stderr (none when {@code show} is false); each step may stop the run. */
public record EvaluationProgressBars(boolean show, StopSignal stop) implements EvaluationProgress {

    @Override
    public Task start(String name, long max) {
        ProgressBar bar = !show ? null : new ProgressBarBuilder().setTaskName(name).setInitialMax(max)
                .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(500).startsFrom(0, Duration.ZERO)
                .setConsumer(new ConsoleProgressBarConsumer(System.err)).build();
        return new Task() {
            @Override
            public void step() {
                if (bar != null) {
                    bar.step();
                }
                if (stop.requested()) {
                    throw new StopSignal.Stopped("in the middle of the evaluation");
                }
            }

            @Override
            public void maxHint(long steps) {
                if (bar != null) {
                    bar.maxHint(steps);
                }
            }

            @Override
            public void message(String text) {
                if (bar != null) {
                    bar.setExtraMessage(text);
                }
            }

            @Override
            public void close() {
                if (bar != null) {
                    bar.close();
                }
            }
        };
    }
}
