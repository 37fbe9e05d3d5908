package org.diffusionworker.console;

import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.diffusionworker.generation.SamplingProgress;

/** A progress bar on stderr for sampling runs; silent when {@code quiet}. */
public final class SamplingProgressBar implements SamplingProgress, AutoCloseable {

    private final ProgressBar bar;

    public SamplingProgressBar(String task, long total, boolean quiet) {
        this.bar = quiet ? null : new ProgressBarBuilder()
                .setTaskName(task)
                .setInitialMax(total)
                .setStyle(ProgressBarStyle.ASCII)
                .setUpdateIntervalMillis(200)
                .setUnit(" steps", 1)
                .showSpeed()
                .build();
    }

    @Override
    public void onStep(int done, int total, long stepNanos) {
        if (bar != null) {
            bar.step();
        }
    }

    @Override
    public void close() {
        if (bar != null) {
            bar.close();
        }
    }
}
