package org.diffusionworker.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import java.util.Map;

/**
 * Re-initialises a ContextUnet the way PyTorch initialises the seed's layers, so that a network
 * trained here starts where the seed's starts: convolution and linear weights and biases
 * ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (kaiming_uniform with a = sqrt(5)), norm scales 1 and
 * shifts 0, BatchNorm statistics (0, 1).
 *
 * <p>DJL's default (Xavier/He, Gaussian) is about 2.4x larger per layer; through this U-Net that
 * makes untrained outputs, and DDIM's 1/sqrt(ab_t) amplification, explode into inf/NaN.
 */
public final class TorchDefaultInitialisation {

    private TorchDefaultInitialisation() {}

    /** Overwrites every parameter of an initialised {@code network}; seeded by the engine's generator. */
    public static void apply(ContextUnet network) {
        Map<String, Parameter> params = SeedParameterNames.of(network);
        for (Map.Entry<String, Parameter> e : params.entrySet()) {
            String name = e.getKey();
            NDArray array = e.getValue().getArray();
            NDManager manager = array.getManager();
            String owner = name.substring(0, name.lastIndexOf('.'));
            Parameter weight = params.get(owner + ".weight");
            boolean affineLayer = weight != null && weight.getArray().getShape().dimension() >= 2;
            NDArray value;
            if (affineLayer && (name.endsWith(".weight") || name.endsWith(".bias"))) {
                double bound = 1 / Math.sqrt(fanIn(owner, weight.getArray().getShape()));
                value = manager.randomUniform((float) -bound, (float) bound, array.getShape());
            } else if (name.endsWith(".weight") || name.endsWith(".running_var")) {
                value = manager.ones(array.getShape());
            } else {
                value = manager.zeros(array.getShape());
            }
            value.copyTo(array);
            value.close();
        }
    }

    /** PyTorch's fan_in: size(1) * receptive field; for ConvTranspose2d size(1) is the output channels. */
    private static long fanIn(String owner, Shape weight) {
        long receptive = 1;
        for (int i = 2; i < weight.dimension(); i++) {
            receptive *= weight.get(i);
        }
        return weight.get(1) * receptive;
    }
}
