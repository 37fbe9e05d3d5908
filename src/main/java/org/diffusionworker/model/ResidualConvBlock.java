package org.diffusionworker.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * Two 3x3 convolutions, each followed by BatchNorm and GELU, optionally with a residual sum.
 *
 * <p>With {@code isRes} the result is {@code (x + x2) / 1.414} when the channel count is kept and
 * {@code (x1 + x2) / 1.414} when it changes: minDiffusion's deterministic form, not the course's
 * shortcut convolution freshly initialised in every forward call (seed defect 2).
 */
public final class ResidualConvBlock extends AbstractBlock {

    private static final byte VERSION = 1;
    /** The seed divides by 1.414, not sqrt(2); kept so trained weights behave the same. */
    private static final float RESIDUAL_SCALE = 1.414f;
    private static final double BATCH_NORM_EPS = 1e-5;
    private static final Shape UNIT = new Shape(1, 1);

    private final boolean residual;
    private final boolean sameChannels;
    private final Block conv1;
    private final Block norm1;
    private final Block conv2;
    private final Block norm2;
    /**
     * For inference: each convolution with the BatchNorm after it folded in ({weight1, bias1, weight2, bias2}), or
     * null while the block may still train. See {@link #foldBatchNormForInference}.
     */
    private volatile NDArray[] folded;

    private ResidualConvBlock(Builder builder) {
        super(VERSION);
        this.residual = builder.residual;
        this.sameChannels = builder.inChannels == builder.outChannels;
        this.conv1 = addChildBlock("conv1.0", ChannelPaddedConv2d.threeByThree().setFilters(builder.outChannels).build());
        this.norm1 = addChildBlock("conv1.1", batchNorm());
        this.conv2 = addChildBlock("conv2.0", ChannelPaddedConv2d.threeByThree().setFilters(builder.outChannels).build());
        this.norm2 = addChildBlock("conv2.1", batchNorm());
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Builds a {@link ResidualConvBlock}: both channel counts required; the residual sum optional (off). */
    public static final class Builder extends ChannelsBuilder<Builder, ResidualConvBlock> {

        private boolean residual;

        private Builder() {
            super("ResidualConvBlock", ResidualConvBlock::new);
        }

        /** The seed's {@code is_res}: add the block's input (or first output) to its output. */
        public Builder optResidual(boolean residual) {
            this.residual = residual;
            return this;
        }
    }

    private static Block batchNorm() {
        // PyTorch's defaults: eps 1e-5, momentum 0.1 (DJL counts momentum the other way).
        return BatchNorm.builder().optEpsilon((float) BATCH_NORM_EPS).optMomentum(0.9f).build();
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        NDArray[] f = folded;
        if (f != null && training) {
            throw new IllegalStateException("this block's BatchNorm was folded for inference; it cannot train");
        }
        NDArray x1 = f == null ? convNormGelu(store, conv1, norm1, x, training) : convGelu(x, f[0], f[1]);
        NDArray x2 = f == null ? convNormGelu(store, conv2, norm2, x1, training) : convGelu(x1, f[2], f[3]);
        if (!residual) {
            return new NDList(x2);
        }
        NDArray skip = sameChannels ? x : x1;
        // Autograd saves the divisor for the backward pass. DJL's div(Number), and create(float),
        // make a tensor over a Java direct buffer that libtorch does not own: once DJL closes it
        // (div(Number) does so as soon as the forward op returns) the GC may free that memory
        // before backward reads it. full() makes a tensor whose memory libtorch owns and the
        // graph keeps alive.
        NDArray scale = x.getManager().full(new Shape(), RESIDUAL_SCALE);
        return new NDList(skip.add(x2).div(scale));
    }

    private static NDArray convNormGelu(
            ParameterStore store, Block conv, Block norm, NDArray x, boolean training) {
        NDArray convolved = conv.forward(store, new NDList(x), training).singletonOrThrow();
        return Activation.gelu(norm.forward(store, new NDList(convolved), training).singletonOrThrow());
    }

    /** 3x3, stride 1, padding 1, as {@link ChannelPaddedConv2d#threeByThree}; the result lands in x's manager. */
    private static NDArray convGelu(NDArray x, NDArray weight, NDArray bias) {
        return Activation.gelu(Conv2d.conv2d(x, weight, bias, UNIT, UNIT, UNIT, 1).singletonOrThrow());
    }

    /**
     * Folds each BatchNorm (inference form: running statistics) into the convolution before it, once the weights
     * are final: {@code w' = w g / sqrt(v + eps)}, {@code b' = (b - m) g / sqrt(v + eps) + beta} per output channel,
     * computed in double. A forward pass then makes two calls fewer and one pass over the activations less per
     * convolution. The block can no longer train (a training pass throws), since its folded weights would go stale.
     *
     * @param manager owns the folded arrays (the model's)
     */
    void foldBatchNormForInference(NDManager manager) {
        NDArray[] made = new NDArray[4];
        fold(conv1, norm1, manager, made, 0);
        fold(conv2, norm2, manager, made, 2);
        folded = made;
    }

    private static void fold(Block conv, Block norm, NDManager manager, NDArray[] into, int at) {
        try (NDManager scratch = manager.newSubManager()) {
            NDArray w = wide(conv, "weight", scratch);
            NDArray b = wide(conv, "bias", scratch);
            NDArray scale = wide(norm, "gamma", scratch).div(wide(norm, "runningVar", scratch).add(BATCH_NORM_EPS)
                    .sqrt());
            NDArray weight = w.mul(scale.reshape(-1, 1, 1, 1)).toType(DataType.FLOAT32, false);
            NDArray bias = b.sub(wide(norm, "runningMean", scratch)).mul(scale).add(wide(norm, "beta", scratch))
                    .toType(DataType.FLOAT32, false);
            weight.attach(manager);
            bias.attach(manager);
            into[at] = weight;
            into[at + 1] = bias;
        }
    }

    /** A copy of a child's parameter in float64, in {@code scratch}. */
    private static NDArray wide(Block block, String name, NDManager scratch) {
        NDArray copy = block.getParameters().get(name).getArray().toType(DataType.FLOAT64, true);
        copy.attach(scratch);
        return copy;
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        conv1.initialize(manager, dataType, inputShapes);
        Shape[] afterConv1 = conv1.getOutputShapes(inputShapes);
        norm1.initialize(manager, dataType, afterConv1);
        conv2.initialize(manager, dataType, afterConv1);
        norm2.initialize(manager, dataType, conv2.getOutputShapes(afterConv1));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return conv1.getOutputShapes(inputShapes);
    }
}
