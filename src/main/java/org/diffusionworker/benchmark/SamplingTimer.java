package org.diffusionworker.benchmark;

import java.util.ArrayList;
import java.util.List;
import org.diffusionworker.diffusion.ClassifierFreeGuidance;
import org.diffusionworker.diffusion.SamplerKind;
import org.diffusionworker.diffusion.SamplerSettings;
import org.diffusionworker.generation.BatchPlan;
import org.diffusionworker.generation.GenerationEngine;
import org.diffusionworker.generation.SamplingProgress;
import org.diffusionworker.generation.ImageSlot;

/**
 * Times {@link GenerationEngine#generate} as the worker runs it (per-image seeded noise, per-step
 * sub-managers, results copied back to the JVM), conditional on label 0, no guidance. DDIM-20 is
 * timed whole; DDPM over its first {@code timed} steps, extrapolated to a full run of T steps, as
 * the reference script does.
 */
final class SamplingTimer {

    static final int DDIM_STEPS = 20;
    /** Untimed steps before each timed run, as the reference's {@code --warmup 2}. */
    static final int WARM_UP_STEPS = 2;
    /** Untimed steps per sampler and batch size when an engine is first used; see {@link #warmUp}. */
    private static final int JIT_WARM_UP_STEPS = 150;

    private final GenerationEngine engine;

    SamplingTimer(GenerationEngine engine) {
        this.engine = engine;
    }

    /** Steps of one full run: 20 for DDIM, T for DDPM. */
    static int fullRunSteps(SamplerKind kind, int timesteps) {
        return kind == SamplerKind.DDIM ? DDIM_STEPS : timesteps;
    }

    /**
     * Runs a few hundred untimed steps first: the JIT compiles DJL's per-call Java path (handle
     * creation and registration) only after thousands of calls, and a long-running worker is past
     * that point. Without it the first cases of a run measure the interpreter.
     */
    void warmUp() {
        engine.warmUp();
        for (int batch : List.of(1, 4)) {
            run(SamplerKind.DDPM, batch, JIT_WARM_UP_STEPS);
            run(SamplerKind.DDIM, batch, DDIM_STEPS);
        }
    }

    /** Images/s of a full run: {@link #WARM_UP_STEPS} untimed steps, then {@code timed} timed ones. */
    double imagesPerSecond(SamplerKind kind, int batch, int timed) {
        run(kind, batch, WARM_UP_STEPS);
        double seconds = run(kind, batch, timed);
        return batch / (seconds / timed * fullRunSteps(kind, engine.spec().schedule().timesteps()));
    }

    /** Seconds for the first {@code steps} steps of a run (from the call, setup included). */
    private double run(SamplerKind kind, int batch, int steps) {
        int timesteps = engine.spec().schedule().timesteps();
        SamplerSettings settings = kind == SamplerKind.DDIM ? SamplerSettings.ddim(DDIM_STEPS, 0)
                : SamplerSettings.ddpm(timesteps);
        float[] context = new float[engine.spec().config().nCfeat()];
        context[0] = 1;
        List<ImageSlot> slots = new ArrayList<>();
        for (int i = 0; i < batch; i++) {
            slots.add(new ImageSlot(context, 1, i));
        }
        BatchPlan plan = new BatchPlan(settings, new ClassifierFreeGuidance(0), 0, slots);
        StepClock clock = new StepClock(steps);
        try {
            engine.generate(plan, clock);
        } catch (StepClock.Done done) {
            // Reached the timed number of steps; the engine has released the batch.
        }
        return clock.seconds();
    }

    /** Times steps and stops the run after {@code limit} of them. */
    private static final class StepClock implements SamplingProgress {
        private final int limit;
        private final long start = System.nanoTime();
        private long elapsed;

        StepClock(int limit) {
            this.limit = limit;
        }

        @Override
        public void onStep(int done, int total, long stepNanos) {
            elapsed = System.nanoTime() - start;
            if (done >= limit && done < total) {
                throw new Done();
            }
        }

        double seconds() {
            return elapsed / 1e9;
        }

        /** Ends a run early; not an error. */
        static final class Done extends RuntimeException {
            Done() {
                super(null, null, false, false);
            }
        }
    }
}
