package org.diffusionworker.benchmark;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.diffusionworker.model.DjlRuntime;

/**
 * What this CPU does in fp32 through the same engine as the Java path (DJL's NDArray ops on
 * libtorch, its intra-op threads): a 2048 x 2048 matrix product, and a 3x3 convolution of the
 * benchmark models' most common shape (64 to 64 channels, 28 x 28, batch 64). GFLOP/s per run,
 * one untimed run first.
 */
final class Fp32Ceiling {

    static final int MATRIX = 2048;
    static final int CONV_BATCH = 64;
    static final int CONV_CHANNELS = 64;
    static final int CONV_SIZE = 28;

    private Fp32Ceiling() {}

    /** The measured ceilings, GFLOP/s over {@code runs} runs each. */
    record Result(Spread matmul, Spread convolution) {}

    static Result measure(int runs) {
        DjlRuntime.disableGradientsOnThisThread();
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            NDArray a = manager.randomNormal(new Shape(MATRIX, MATRIX));
            NDArray b = manager.randomNormal(new Shape(MATRIX, MATRIX));
            double matmulFlops = 2.0 * MATRIX * MATRIX * MATRIX;
            Spread matmul = gflops(runs, matmulFlops, () -> a.matMul(b));

            NDArray x = manager.randomNormal(new Shape(CONV_BATCH, CONV_CHANNELS, CONV_SIZE, CONV_SIZE));
            NDArray w = manager.randomNormal(new Shape(CONV_CHANNELS, CONV_CHANNELS, 3, 3));
            NDArray bias = manager.zeros(new Shape(CONV_CHANNELS));
            double convFlops = 2.0 * CONV_CHANNELS * CONV_CHANNELS * 9 * CONV_SIZE * CONV_SIZE * CONV_BATCH;
            Spread conv = gflops(runs, convFlops, () -> Conv2d.conv2d(x, w, bias, new Shape(1, 1),
                    new Shape(1, 1), new Shape(1, 1), 1).singletonOrThrow());
            return new Result(matmul, conv);
        }
    }

    private static Spread gflops(int runs, double flops, Supplier<NDArray> op) {
        List<Double> values = new ArrayList<>();
        for (int r = 0; r <= runs; r++) {
            long start = System.nanoTime();
            NDArray result = op.get();
            double seconds = (System.nanoTime() - start) / 1e9;
            result.close();
            if (r > 0) {
                values.add(flops / seconds / 1e9);
            }
        }
        return new Spread(values);
    }
}
