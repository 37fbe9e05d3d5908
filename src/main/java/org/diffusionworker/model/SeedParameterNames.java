package org.diffusionworker.model;

import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Names a block's parameters as PyTorch names them in the seed's state dict
 * ({@code init_conv.conv1.1.running_mean}, {@code up0.0.weight}, ...).
 *
 * <p>DJL keys children as {@code "%02d" + name} and names BatchNorm's parameters gamma, beta,
 * runningMean and runningVar; this strips the index and maps the four names back.
 */
public final class SeedParameterNames {

    private static final Map<String, String> DJL_TO_TORCH = Map.of(
            "gamma", "weight",
            "beta", "bias",
            "runningMean", "running_mean",
            "runningVar", "running_var");

    private SeedParameterNames() {}

    /** Every parameter of {@code block}, in registration order, under its seed name. */
    public static Map<String, Parameter> of(Block block) {
        Map<String, Parameter> named = new LinkedHashMap<>();
        collect("", block, named);
        return named;
    }

    private static void collect(String prefix, Block block, Map<String, Parameter> into) {
        for (Pair<String, Parameter> p : block.getDirectParameters()) {
            into.put(prefix + DJL_TO_TORCH.getOrDefault(p.getKey(), p.getKey()), p.getValue());
        }
        for (Pair<String, Block> child : block.getChildren()) {
            // DJL prefixes every child key with its two-digit position.
            collect(prefix + child.getKey().substring(2) + ".", child.getValue(), into);
        }
    }
}
