package org.diffusionworker.model;

import static org.diffusionworker.testing.Gradients.assertWithin;
import static org.diffusionworker.testing.Gradients.maxAbs;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.GradientCollector;
import java.util.Map;
import org.diffusionworker.testing.Fixtures;
import org.diffusionworker.testing.Gradients;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Whether this machine's libtorch computes convolution gradients right without the model's
 * workaround: DJL's bare {@code Conv2d} on the stacks of {@link ConvolutionGradientParityTest}.
 * Not part of the build (tag {@code diagnostic}): on the CPUs where oneDNN's backward-data pass
 * reads its channel padding (see {@link ChannelPaddedConv2d}) it fails, and that is the engine's
 * defect, not this project's. Run it with
 * {@code ./mvnw test -Dtest=EngineConvolutionDiagnostic -DexcludedGroups=benchmark}.
 */
@Tag("diagnostic")
class EngineConvolutionDiagnostic {

    @ParameterizedTest
    @ValueSource(strings = {"c1-64-1", "c2-2-2", "c1-8-1", "c3-32-3", "c16-24-5", "c1-16-16"})
    void bareConvolutionGradientsEqualFloat64Reference(String name) {
        DjlRuntime.engine();
        try (NDManager manager = NDManager.newBaseManager()) {
            Map<String, NDArray> ref = Fixtures.arrays(manager, "gradients", "conv_stacks.npz");
            NDArray x = ref.get(name + "/x");
            NDArray w1 = ref.get(name + "/w1");
            NDArray w2 = ref.get(name + "/w2");
            for (NDArray a : new NDArray[] {x, w1, w2}) {
                a.setRequiresGradient(true);
            }
            Shape one = new Shape(1, 1);
            for (int pass = 1; pass <= 3; pass++) {
                try (NDManager batch = manager.newSubManager();
                        GradientCollector collector = batch.getEngine().newGradientCollector()) {
                    NDArray hidden = Conv2d.conv2d(x, w1, ref.get(name + "/b1"), one, one, one).singletonOrThrow();
                    NDArray y = Conv2d.conv2d(hidden, w2, ref.get(name + "/b2"), one, one, one).singletonOrThrow();
                    collector.backward(y.square().sum());
                }
                double tolerance = 1e-4 * maxAbs(ref.get(name + "/dx"));
                assertWithin(name + " pass " + pass + ": dx", x.getGradient(), ref.get(name + "/dx"), tolerance);
                assertWithin(name + " pass " + pass + ": dw1", w1.getGradient(), ref.get(name + "/dw1"),
                        1e-4 * maxAbs(ref.get(name + "/dw1")));
                for (NDArray a : new NDArray[] {x, w1, w2}) {
                    Gradients.zero(a);
                }
            }
        }
    }
}
