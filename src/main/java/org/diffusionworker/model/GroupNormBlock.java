package org.diffusionworker.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * Group normalisation (Wu and He, 2018), as PyTorch's {@code nn.GroupNorm}: DJL 0.36 has none.
 *
 * <p>Statistics are taken per sample over each group of channels and all pixels, with the biased
 * variance; the affine {@code weight} and {@code bias} are per channel.
 */
public final class GroupNormBlock extends AbstractBlock {

    private static final byte VERSION = 1;

    private final int groups;
    private final int channels;
    private final float epsilon;
    private final Parameter weight;
    private final Parameter bias;
    /** {@link #unitAffine}'s pair for the last group size seen. */
    private volatile NDArray[] identity;

    private GroupNormBlock(Builder builder) {
        super(VERSION);
        this.groups = builder.groups;
        this.channels = builder.channels;
        this.epsilon = builder.epsilon;
        this.weight = addParameter(BlockParameters.of("weight", Parameter.Type.GAMMA, new Shape(channels)));
        this.bias = addParameter(BlockParameters.of("bias", Parameter.Type.BETA, new Shape(channels)));
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = BatchArrays.imageBatch(inputs, channels, () -> "GroupNorm(" + groups + ", " + channels + ")");
        Shape shape = x.getShape();
        NDArray w = store.getValue(weight, x.getDevice(), training);
        NDArray b = store.getValue(bias, x.getDevice(), training);
        long batch = shape.get(0);
        long perGroup = shape.size() / (batch * groups);
        // Normalise each (sample, group) over its channels and pixels, biased variance as PyTorch: layer_norm over
        // the grouped view is group_norm without its affine, in one fused native call (and one in backward) where
        // the mean, centring, variance and division took eight.
        NDArray[] identity = unitAffine(x, perGroup);
        NDArray normalised = LayerNorm.layerNorm(x.reshape(batch, groups, perGroup), new Shape(perGroup),
                identity[0], identity[1], epsilon).singletonOrThrow().reshape(shape);
        // Per-channel affine.
        return new NDList(normalised.mul(BatchArrays.inManagerOf(x, w.reshape(1, channels, 1, 1)))
                .add(BatchArrays.inManagerOf(x, b.reshape(1, channels, 1, 1))));
    }

    /**
     * Ones and zeros of the group size, made once per size on the parameters' device and kept with them: layer_norm
     * needs an affine, the per-channel one comes after.
     */
    private NDArray[] unitAffine(NDArray x, long perGroup) {
        NDArray[] cached = identity;
        if (cached != null && cached[0].size() == perGroup && cached[0].getDevice().equals(x.getDevice())) {
            return cached;
        }
        NDManager owner = weight.getArray().getManager();
        NDArray[] made = {owner.ones(new Shape(perGroup)), owner.zeros(new Shape(perGroup))};
        // A replaced pair may still be read by a forward pass on another thread; it is freed with the model.
        identity = made;
        return made;
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }

    @Override
    public void prepare(Shape[] inputShapes) {
        // Shapes are fixed by the builder.
    }

    /** Builds a {@link GroupNormBlock}; {@code setGroups} and {@code setChannels} are required. */
    public static final class Builder {
        private int groups;
        private int channels;
        private float epsilon = 1e-5f;

        public Builder setGroups(int groups) {
            this.groups = groups;
            return this;
        }

        public Builder setChannels(int channels) {
            this.channels = channels;
            return this;
        }

        public Builder optEpsilon(float epsilon) {
            this.epsilon = epsilon;
            return this;
        }

        public GroupNormBlock build() {
            if (groups < 1) {
                throw new IllegalArgumentException("GroupNorm groups must be >= 1, got " + groups);
            }
            if (channels < 1 || channels % groups != 0) {
                throw new IllegalArgumentException(
                        "GroupNorm channels must be a positive multiple of groups (" + groups + "), got " + channels);
            }
            if (!(epsilon > 0)) {
                throw new IllegalArgumentException("GroupNorm epsilon must be > 0, got " + epsilon);
            }
            return new GroupNormBlock(this);
        }
    }
}
