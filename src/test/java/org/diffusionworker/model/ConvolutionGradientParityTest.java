package org.diffusionworker.model;

import static org.diffusionworker.testing.Gradients.assertWithin;
import static org.diffusionworker.testing.Gradients.maxAbs;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import java.util.Map;
import org.diffusionworker.testing.Fixtures;
import org.diffusionworker.testing.GarbageCollectorStorm;
import org.diffusionworker.testing.Gradients;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The gradients of the model's convolutions and residual blocks equal a float64 PyTorch reference
 * (tools/reference/make_training_fixtures.py, checked there against finite differences), for
 * output-channel counts below, on and off oneDNN's 16-channel block: the case where libtorch
 * 2.7.1's oneDNN computed wrong or NaN input gradients on some CPUs (see
 * {@link ChannelPaddedConv2d}). Each case runs three passes on the same block, the gradients
 * zeroed in between, the third under a garbage-collector storm: a second pass catches
 * accumulation into a gradient that was never really zeroed, the storm catches native memory read
 * after DJL let it go.
 *
 * <p>Tolerance: 1e-4 of the largest reference value of the case's gradients (float32 sums of a
 * few thousand products are good to about 1e-6 of it).
 */
@Tag("native-memory")
class ConvolutionGradientParityTest {

    private static final double RELATIVE_TOLERANCE = 1e-4;
    private static final int PASSES = 3;

    @ParameterizedTest
    @ValueSource(strings = {"c1-64-1", "c2-2-2", "c1-8-1", "c3-32-3", "c16-24-5", "c1-16-16"})
    void stackedConvolutionGradientsEqualFloat64Reference(String name) throws InterruptedException {
        try (NDManager manager = NDManager.newBaseManager()) {
            Map<String, NDArray> ref = Fixtures.arrays(manager, "gradients", "conv_stacks.npz");
            NDArray x = ref.get(name + "/x");
            Block first = ChannelPaddedConv2d.threeByThree()
                    .setFilters(Math.toIntExact(ref.get(name + "/w1").getShape().get(0))).build();
            Block second = ChannelPaddedConv2d.threeByThree()
                    .setFilters(Math.toIntExact(ref.get(name + "/w2").getShape().get(0))).build();
            first.initialize(manager, DataType.FLOAT32, x.getShape());
            second.initialize(manager, DataType.FLOAT32, first.getOutputShapes(new ai.djl.ndarray.types.Shape[] {
                x.getShape()})[0]);
            Map<String, Parameter> p1 = SeedParameterNames.of(first);
            Map<String, Parameter> p2 = SeedParameterNames.of(second);
            Gradients.assign(p1.get("weight"), ref.get(name + "/w1"));
            Gradients.assign(p1.get("bias"), ref.get(name + "/b1"));
            Gradients.assign(p2.get("weight"), ref.get(name + "/w2"));
            Gradients.assign(p2.get("bias"), ref.get(name + "/b2"));
            x.setRequiresGradient(true);
            double scale = Math.max(maxAbs(ref.get(name + "/dx")), Math.max(maxAbs(ref.get(name + "/dw1")),
                    maxAbs(ref.get(name + "/dw2"))));
            double tolerance = RELATIVE_TOLERANCE * scale;
            ParameterStore store = new ParameterStore(manager, false);
            for (int pass = 1; pass <= PASSES; pass++) {
                try (NDManager batch = manager.newSubManager();
                        GarbageCollectorStorm storm = pass == PASSES ? new GarbageCollectorStorm() : null) {
                    try (GradientCollector collector = batch.getEngine().newGradientCollector()) {
                        NDArray hidden = first.forward(store, new NDList(x), true).singletonOrThrow();
                        NDArray y = second.forward(store, new NDList(hidden), true).singletonOrThrow();
                        collector.backward(y.square().sum());
                    }
                    String at = name + " pass " + pass + ": ";
                    assertWithin(at + "dx", x.getGradient(), ref.get(name + "/dx"), tolerance);
                    assertWithin(at + "dw1", p1.get("weight").getArray().getGradient(), ref.get(name + "/dw1"), tolerance);
                    assertWithin(at + "db1", p1.get("bias").getArray().getGradient(), ref.get(name + "/db1"), tolerance);
                    assertWithin(at + "dw2", p2.get("weight").getArray().getGradient(), ref.get(name + "/dw2"), tolerance);
                    assertWithin(at + "db2", p2.get("bias").getArray().getGradient(), ref.get(name + "/db2"), tolerance);
                }
                Gradients.zero(x);
                for (Parameter p : p1.values()) {
                    Gradients.zero(p.getArray());
                }
                for (Parameter p : p2.values()) {
                    Gradients.zero(p.getArray());
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"r2-2", "r1-8", "r3-16"})
    void residualBlockGradientsEqualFloat64Reference(String name) throws InterruptedException {
        try (NDManager manager = NDManager.newBaseManager()) {
            Map<String, NDArray> ref = Fixtures.arrays(manager, "gradients", "residual_block.npz");
            NDArray x = ref.get(name + "/x");
            int in = Math.toIntExact(x.getShape().get(1));
            int out = Math.toIntExact(ref.get(name + "/param/conv1.0.weight").getShape().get(0));
            ResidualConvBlock block = ResidualConvBlock.builder().setInChannels(in).setOutChannels(out).optResidual(true)
                    .build();
            block.initialize(manager, DataType.FLOAT32, x.getShape());
            Map<String, Parameter> params = SeedParameterNames.of(block);
            params.forEach((key, p) -> Gradients.assign(p, ref.get(name + "/param/" + key)));
            x.setRequiresGradient(true);
            double scale = maxAbs(ref.get(name + "/dx"));
            for (Map.Entry<String, Parameter> e : params.entrySet()) {
                if (e.getValue().requiresGradient()) {
                    scale = Math.max(scale, maxAbs(ref.get(name + "/grad/" + e.getKey())));
                }
            }
            double tolerance = RELATIVE_TOLERANCE * scale;
            ParameterStore store = new ParameterStore(manager, false);
            for (int pass = 1; pass <= PASSES; pass++) {
                try (NDManager batch = manager.newSubManager();
                        GarbageCollectorStorm storm = pass == PASSES ? new GarbageCollectorStorm() : null) {
                    try (GradientCollector collector = batch.getEngine().newGradientCollector()) {
                        NDArray y = block.forward(store, new NDList(x), true).singletonOrThrow();
                        collector.backward(y.square().sum());
                    }
                    String at = name + " pass " + pass + ": ";
                    assertWithin(at + "dx", x.getGradient(), ref.get(name + "/dx"), tolerance);
                    for (Map.Entry<String, Parameter> e : params.entrySet()) {
                        if (e.getValue().requiresGradient()) {
                            assertWithin(at + e.getKey(), e.getValue().getArray().getGradient(),
                                    ref.get(name + "/grad/" + e.getKey()), tolerance);
                        }
                    }
                }
                Gradients.zero(x);
                params.values().stream().filter(Parameter::requiresGradient).forEach(p -> Gradients.zero(p.getArray()));
            }
        }
    }
}
