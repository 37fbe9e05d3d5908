package org.diffusionworker.training;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import org.diffusionworker.model.ContextUnet;
import org.diffusionworker.model.SeedParameterNames;

/**
 * The ContextUnet's training forward pass as one TorchScript call that takes the Java network's parameters as
 * arguments: {@code forward(x, t, c, p)}, p mapping each parameter and BatchNorm statistic to its array by its
 * seed name. The weights stay the Java network's, so the optimiser, checkpoints and the moving average are those
 * of the Java path, and autograd carries the gradients through the scripted graph back to them; BatchNorm updates
 * the running statistics in place. The module file holds no weights (one file serves every n_feat, channel count,
 * label count and height); {@code tools/reference/export_training_forward.py} writes it.
 *
 * <p>Why a script: DJL 0.36 cannot hold a bf16 array (converting one terminates the JVM), so the bf16 arithmetic
 * of {@link TrainingPrecision#BF16} has to stay inside one native call, where DJL sees only its float32 inputs and
 * output.
 */
public final class ScriptedTrainingForward implements AutoCloseable {

    /** The classpath resource of {@link TrainingPrecision#BF16}'s module. */
    static final String BF16_RESOURCE = "contextunet-train-bf16.pt";
    /** DJL passes arrays named {@code <group>.<key>} to a script as one {@code Dict[str, Tensor]} argument. */
    private static final String DICT = "p";

    private final Model module;
    private final Block block;
    private final Map<String, Parameter> parameters;

    private ScriptedTrainingForward(Model module, ContextUnet network) {
        this.module = module;
        this.block = module.getBlock();
        this.parameters = SeedParameterNames.of(network);
    }

    /** The bf16 forward of {@code network}, loaded onto the network's device. */
    public static ScriptedTrainingForward bf16(ContextUnet network, Device device) {
        return load(BF16_RESOURCE, network, device);
    }

    /** A module from the classpath next to this class ({@code resource}); the tests load a float32 twin. */
    static ScriptedTrainingForward load(String resource, ContextUnet network, Device device) {
        Model module = Model.newInstance(resource, device, "PyTorch");
        try (InputStream in = ScriptedTrainingForward.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("the training module " + resource + " is missing from the classpath");
            }
            module.load(in);
        } catch (IOException e) {
            module.close();
            throw new UncheckedIOException("cannot read the training module " + resource, e);
        } catch (MalformedModelException | RuntimeException e) {
            module.close();
            throw new IllegalStateException("cannot load the training module " + resource + ": " + e.getMessage(), e);
        }
        return new ScriptedTrainingForward(module, network);
    }

    /**
     * The predicted noise for {@code (x, t [B], c)}, recorded for backward; its arrays land in x's manager. Reads
     * the parameters through {@code store}, which registers them for the optimiser's update as a Java forward does.
     */
    public NDArray forward(ParameterStore store, NDArray x, NDArray t, NDArray c) {
        NDList inputs = new NDList(parameters.size() + 3);
        inputs.add(x);
        inputs.add(t);
        inputs.add(c);
        for (Map.Entry<String, Parameter> e : parameters.entrySet()) {
            NDArray value = store.getValue(e.getValue(), x.getDevice(), true);
            // A view under the name DJL's dict convention wants: the parameter's own array stays unnamed, and
            // the view (freed with the batch) carries gradients and the in-place statistics to it.
            NDArray view = value.reshape(value.getShape());
            view.attach(x.getManager());
            view.setName(DICT + "." + e.getKey());
            inputs.add(view);
        }
        return block.forward(store, inputs, true).singletonOrThrow();
    }

    @Override
    public void close() {
        module.close();
    }
}
