package org.diffusionworker.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * A 3x3, stride 1, padding 1 {@link Conv2d} that, while training, pads its output channels with
 * zero filters up to a multiple of oneDNN's 16-channel block and keeps the real channels.
 *
 * <p>Why: libtorch 2.7.1's oneDNN 3.7.1 stores weights and output gradients in 16-channel blocks
 * ({@code ABcd16a16b}, {@code aBcd16b}). On some x86 CPUs (seen on AMD EPYC with AVX-512
 * VP2INTERSECT, not on the EPYC this project was first trained on) the backward-data pass of a
 * convolution whose output channels are not a multiple of 16 reads the padding of those blocks
 * without zeroing it, so the input gradient, and every gradient upstream of it, depends on what
 * reused native memory held: wrong, or NaN. The ContextUnet's last convolution ({@code n_feat -> C})
 * is such a convolution, so every training step went through it. With real zero filters no block
 * needs padding; autograd carries the gradient of the kept channels back to the real weight, and
 * the zero rows get gradients that are dropped. Parameters, their names and shapes are those of a
 * plain {@code Conv2d}, so state dicts and saved weights are unchanged.
 *
 * <p>Inference is left alone: the forward pass never showed the defect (parity with PyTorch holds to
 * 5e-7 on the affected machine), and padding would cost sampling time.
 */
public final class ChannelPaddedConv2d extends Conv2d {

    static {
        // Before this block's first convolution reaches oneDNN (tests build it without the engine's front door).
        OneDnnGuard.applyBeforeOneDnnRuns();
    }

    /** oneDNN's channel block for f32 on AVX-512 (and the widest of its x86 blocks). */
    static final int CHANNEL_BLOCK = 16;

    private ChannelPaddedConv2d(Conv2d.Builder builder) {
        super(builder);
    }

    /** A builder of the 3x3 convolution (named apart from Conv2d's own {@code builder()}, which it would hide). */
    public static Builder threeByThree() {
        return new Builder();
    }

    /** Builds a 3x3 convolution, same size out as in (the seed's only kind); the filter count is required. */
    public static final class Builder {
        private int filters;

        public Builder setFilters(int filters) {
            this.filters = filters;
            return this;
        }

        public ChannelPaddedConv2d build() {
            if (filters < 1) {
                throw new IllegalArgumentException("a convolution needs >= 1 filters, got " + filters);
            }
            return new ChannelPaddedConv2d(Conv2d.builder().setKernelShape(new Shape(3, 3)).optPadding(new Shape(1, 1))
                    .setFilters(filters));
        }
    }

    /** The output channels the convolution really computes while training. */
    static int paddedChannels(int filters) {
        return (filters + CHANNEL_BLOCK - 1) / CHANNEL_BLOCK * CHANNEL_BLOCK;
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
        int padded = paddedChannels(filters);
        if (!training || padded == filters) {
            return super.forwardInternal(store, inputs, training, params);
        }
        NDArray x = inputs.singletonOrThrow();
        NDArray w = store.getValue(weight, x.getDevice(), true);
        NDArray b = store.getValue(bias, x.getDevice(), true);
        Shape ws = w.getShape();
        // The zero filters live in the batch's manager and are freed with it.
        NDArray zeroFilters = x.getManager().zeros(new Shape(padded - filters, ws.get(1), ws.get(2), ws.get(3)));
        NDArray paddedWeight = BatchArrays.inManagerOf(x, w.concat(zeroFilters, 0));
        NDArray paddedBias = BatchArrays.inManagerOf(x, b.concat(x.getManager().zeros(new Shape(padded - filters)), 0));
        NDArray y = Conv2d.conv2d(x, paddedWeight, paddedBias, stride, padding, dilation, groups).singletonOrThrow();
        return new NDList(y.get(new NDIndex(":, :{}", filters)));
    }
}
