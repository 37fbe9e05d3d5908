package org.diffusionworker.testing;

import org.diffusionworker.model.OneDnnGuard;
import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

/**
 * Applies {@link OneDnnGuard} when a test run starts, before any test can touch libtorch. oneDNN reads its ISA cap at
 * its first dispatch, and tests that use DJL's arrays without the engine's front door ({@code DjlRuntime}) would
 * otherwise get there first: a sampler test's matrix product then left oneDNN on its AVX-512 paths, and
 * ConvolutionGradientParityTest failed after it in the same JVM on a CPU without cache sizes (input gradients 5% off).
 * Registered in {@code META-INF/services/org.junit.platform.launcher.LauncherSessionListener}.
 */
public final class OneDnnGuardFirst implements LauncherSessionListener {

    @Override
    public void launcherSessionOpened(LauncherSession session) {
        OneDnnGuard.applyBeforeOneDnnRuns();
    }
}
