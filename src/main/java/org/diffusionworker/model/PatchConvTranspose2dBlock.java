package org.diffusionworker.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * A transposed 2-D convolution whose kernel equals its stride, as PyTorch's
 * {@code nn.ConvTranspose2d(in, out, k, stride=k)}; DJL 0.36's {@code Conv2dTranspose} is not
 * implemented on the PyTorch engine.
 *
 * <p>With kernel == stride the output patches do not overlap, so the layer is one matrix product
 * per input pixel followed by a depth-to-space reshape. Weight layout {@code [in, out, k, k]} and
 * bias {@code [out]}, as PyTorch stores them, so a state dict maps without transposition.
 */
public final class PatchConvTranspose2dBlock extends AbstractBlock {

    private static final byte VERSION = 1;

    private final int inChannels;
    private final int outChannels;
    private final int kernel;
    private final Parameter weight;
    private final Parameter bias;

    private PatchConvTranspose2dBlock(Builder builder) {
        super(VERSION);
        this.inChannels = builder.inChannels;
        this.outChannels = builder.outChannels;
        this.kernel = builder.kernel;
        this.weight = addParameter(BlockParameters.of("weight", Parameter.Type.WEIGHT,
                new Shape(inChannels, outChannels, kernel, kernel)));
        this.bias = addParameter(BlockParameters.of("bias", Parameter.Type.BIAS, new Shape(outChannels)));
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = BatchArrays.imageBatch(inputs, inChannels,
                () -> "ConvTranspose2d(" + inChannels + " -> " + outChannels + ")");
        Shape shape = x.getShape();
        NDArray w = store.getValue(weight, x.getDevice(), training);
        NDArray b = store.getValue(bias, x.getDevice(), training);
        long batch = shape.get(0);
        long height = shape.get(2);
        long width = shape.get(3);
        // Every input pixel becomes one k x k output patch: [B*H*W, in] x [in, out*k*k].
        NDArray patches = x.transpose(0, 2, 3, 1)
                .reshape(batch * height * width, inChannels)
                .matMul(BatchArrays.inManagerOf(x, w.reshape(inChannels, (long) outChannels * kernel * kernel)));
        // Depth-to-space: [B, H, W, out, k, k] -> [B, out, H, k, W, k] -> [B, out, H*k, W*k].
        NDArray image = patches.reshape(batch, height, width, outChannels, kernel, kernel)
                .transpose(0, 3, 1, 4, 2, 5)
                .reshape(batch, outChannels, height * kernel, width * kernel);
        return new NDList(image.add(BatchArrays.inManagerOf(x, b.reshape(1, outChannels, 1, 1))));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape in = inputShapes[0];
        return new Shape[] {new Shape(in.get(0), outChannels, in.get(2) * kernel, in.get(3) * kernel)};
    }

    @Override
    public void prepare(Shape[] inputShapes) {
        // Shapes are fixed by the builder.
    }

    /** Builds a {@link PatchConvTranspose2dBlock}; all three setters are required. */
    public static final class Builder extends ChannelsBuilder<Builder, PatchConvTranspose2dBlock> {

        private int kernel;

        private Builder() {
            super("ConvTranspose2d", PatchConvTranspose2dBlock::new);
        }

        /** Kernel size, which is also the stride. */
        public Builder setKernel(int kernel) {
            this.kernel = kernel;
            return this;
        }

        @Override
        void checkOptions() {
            if (kernel < 1) {
                throw new IllegalArgumentException("ConvTranspose2d kernel (= stride) must be >= 1, got " + kernel);
            }
        }
    }
}
