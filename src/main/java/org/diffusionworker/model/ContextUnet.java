package org.diffusionworker.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * The seed's ContextUnet: predicts the noise in {@code x} at time {@code t} given context {@code c}.
 *
 * <p>Inputs {@code (x [B, C, H, W], t [B] or [B, 1, 1, 1], c [B, n_cfeat])}, t being the step
 * index over T and c a one-hot label, a mix, or zeros for "no context". Output: the predicted
 * noise, shaped as x. Children are registered under the seed's parameter names (see
 * {@link SeedParameterNames}) so a PyTorch state dict maps one to one.
 */
public final class ContextUnet extends AbstractBlock {

    private static final byte VERSION = 1;

    private final ContextUnetConfig config;
    private final ResidualConvBlock initConv;
    private final UnetDownBlock down1;
    private final UnetDownBlock down2;
    private final EmbedFcBlock timeEmbed1;
    private final EmbedFcBlock timeEmbed2;
    private final EmbedFcBlock contextEmbed1;
    private final EmbedFcBlock contextEmbed2;
    private final PatchConvTranspose2dBlock up0Conv;
    private final GroupNormBlock up0Norm;
    private final UnetUpBlock up1;
    private final UnetUpBlock up2;
    private final Block outConv;
    private final GroupNormBlock outNorm;
    private final Block outProjection;

    private ContextUnet(ContextUnetConfig config) {
        super(VERSION);
        this.config = config;
        int c = config.inChannels();
        int nf = config.nFeat();
        int nc = config.nCfeat();
        initConv = addChildBlock("init_conv",
                ResidualConvBlock.builder().setInChannels(c).setOutChannels(nf).optResidual(true).build());
        down1 = addChildBlock("down1", UnetDownBlock.builder().setInChannels(nf).setOutChannels(nf).build());
        down2 = addChildBlock("down2", UnetDownBlock.builder().setInChannels(nf).setOutChannels(2 * nf).build());
        timeEmbed1 = addChildBlock("timeembed1", EmbedFcBlock.builder().setInputDim(1).setEmbedDim(2 * nf).build());
        timeEmbed2 = addChildBlock("timeembed2", EmbedFcBlock.builder().setInputDim(1).setEmbedDim(nf).build());
        contextEmbed1 = addChildBlock("contextembed1",
                EmbedFcBlock.builder().setInputDim(nc).setEmbedDim(2 * nf).build());
        contextEmbed2 = addChildBlock("contextembed2", EmbedFcBlock.builder().setInputDim(nc).setEmbedDim(nf).build());
        up0Conv = addChildBlock("up0.0", PatchConvTranspose2dBlock.builder()
                .setInChannels(2 * nf)
                .setOutChannels(2 * nf)
                .setKernel(config.bottleneckSize())
                .build());
        up0Norm = addChildBlock("up0.1", groupNorm(2 * nf));
        up1 = addChildBlock("up1", UnetUpBlock.builder().setInChannels(4 * nf).setOutChannels(nf).build());
        up2 = addChildBlock("up2", UnetUpBlock.builder().setInChannels(2 * nf).setOutChannels(nf).build());
        outConv = addChildBlock("out.0", ChannelPaddedConv2d.threeByThree().setFilters(nf).build());
        outNorm = addChildBlock("out.1", groupNorm(nf));
        outProjection = addChildBlock("out.3", ChannelPaddedConv2d.threeByThree().setFilters(c).build());
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Builds a {@link ContextUnet}; the configuration (shapes and widths, validated there) is required. */
    public static final class Builder {
        private ContextUnetConfig config;

        public Builder setConfig(ContextUnetConfig config) {
            this.config = config;
            return this;
        }

        public ContextUnet build() {
            if (config == null) {
                throw new IllegalArgumentException("a ContextUnet needs its configuration (setConfig)");
            }
            return new ContextUnet(config);
        }
    }

    public ContextUnetConfig config() {
        return config;
    }

    private static GroupNormBlock groupNorm(int channels) {
        return GroupNormBlock.builder()
                .setGroups(ContextUnetConfig.GROUP_NORM_GROUPS)
                .setChannels(channels)
                .build();
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
        if (inputs.size() != 3) {
            throw new IllegalArgumentException("ContextUnet takes (x, t, c), got " + inputs.size() + " inputs");
        }
        NDArray x = inputs.get(0);
        NDArray t = inputs.get(1);
        NDArray c = inputs.get(2);
        checkInputs(x, c);
        int nf = config.nFeat();

        // Down the U.
        NDArray features = one(initConv, store, training, x);
        NDArray d1 = one(down1, store, training, features);
        NDArray d2 = one(down2, store, training, d1);
        // Bottleneck: pool the whole map to 1 x 1 (seed defect 3), then GELU.
        Shape d2Shape = d2.getShape();
        NDArray pooled = d2.reshape(d2Shape.get(0), d2Shape.get(1), -1).mean(new int[] {2}, true);
        NDArray hidden = Activation.gelu(pooled.reshape(d2Shape.get(0), d2Shape.get(1), 1, 1));

        // Context scales and time shifts the features on the way up (the seed's FiLM-like conditioning).
        NDArray cemb1 = one(contextEmbed1, store, training, c).reshape(-1, 2L * nf, 1, 1);
        NDArray temb1 = one(timeEmbed1, store, training, t).reshape(-1, 2L * nf, 1, 1);
        NDArray cemb2 = one(contextEmbed2, store, training, c).reshape(-1, nf, 1, 1);
        NDArray temb2 = one(timeEmbed2, store, training, t).reshape(-1, nf, 1, 1);

        // Up the U.
        NDArray u1 = Activation.relu(one(up0Norm, store, training, one(up0Conv, store, training, hidden)));
        NDArray u2 = up1.forward(store, new NDList(cemb1.mul(u1).add(temb1), d2), training).singletonOrThrow();
        NDArray u3 = up2.forward(store, new NDList(cemb2.mul(u2).add(temb2), d1), training).singletonOrThrow();
        NDArray head = one(outNorm, store, training, one(outConv, store, training, u3.concat(features, 1)));
        return new NDList(one(outProjection, store, training, Activation.relu(head)));
    }

    private void checkInputs(NDArray x, NDArray c) {
        Shape xs = x.getShape();
        int h = config.height();
        if (xs.dimension() != 4 || xs.get(1) != config.inChannels() || xs.get(2) != h || xs.get(3) != h) {
            throw new IllegalArgumentException("ContextUnet expects x of shape [B, " + config.inChannels() + ", "
                    + h + ", " + h + "], got " + xs);
        }
        Shape cs = c.getShape();
        if (cs.dimension() != 2 || cs.get(0) != xs.get(0) || cs.get(1) != config.nCfeat()) {
            throw new IllegalArgumentException("ContextUnet expects c of shape [" + xs.get(0) + ", "
                    + config.nCfeat() + "], got " + cs);
        }
    }

    private static NDArray one(Block block, ParameterStore store, boolean training, NDArray input) {
        return block.forward(store, new NDList(input), training).singletonOrThrow();
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape x = inputShapes[0];
        int nf = config.nFeat();
        initConv.initialize(manager, dataType, x);
        Shape[] features = initConv.getOutputShapes(new Shape[] {x});
        down1.initialize(manager, dataType, features);
        Shape[] d1 = down1.getOutputShapes(features);
        down2.initialize(manager, dataType, d1);
        Shape[] d2 = down2.getOutputShapes(d1);
        Shape time = new Shape(-1, 1);
        Shape context = new Shape(-1, config.nCfeat());
        timeEmbed1.initialize(manager, dataType, time);
        timeEmbed2.initialize(manager, dataType, time);
        contextEmbed1.initialize(manager, dataType, context);
        contextEmbed2.initialize(manager, dataType, context);
        Shape hidden = new Shape(x.get(0), 2L * nf, 1, 1);
        up0Conv.initialize(manager, dataType, hidden);
        Shape[] u1 = up0Conv.getOutputShapes(new Shape[] {hidden});
        up0Norm.initialize(manager, dataType, u1);
        up1.initialize(manager, dataType, u1[0], d2[0]);
        Shape[] u2 = up1.getOutputShapes(new Shape[] {u1[0], d2[0]});
        up2.initialize(manager, dataType, u2[0], d1[0]);
        Shape[] u3 = up2.getOutputShapes(new Shape[] {u2[0], d1[0]});
        Shape joined = new Shape(x.get(0), 2L * nf, x.get(2), x.get(3));
        outConv.initialize(manager, dataType, joined);
        Shape[] head = outConv.getOutputShapes(new Shape[] {joined});
        outNorm.initialize(manager, dataType, head);
        outProjection.initialize(manager, dataType, head);
        assert u3[0].get(1) == nf;
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }

    /** The input shapes to initialise with for a batch of {@code batch} images. */
    public Shape[] inputShapes(int batch) {
        int h = config.height();
        return new Shape[] {
            new Shape(batch, config.inChannels(), h, h), new Shape(batch), new Shape(batch, config.nCfeat())
        };
    }

    /**
     * Folds every BatchNorm into the convolution before it, for inference with final weights (see
     * {@link ResidualConvBlock#foldBatchNormForInference}); the network can no longer train.
     */
    void foldBatchNormForInference(NDManager manager) {
        fold(this, manager);
    }

    private static void fold(Block block, NDManager manager) {
        if (block instanceof ResidualConvBlock residual) {
            residual.foldBatchNormForInference(manager);
            return;
        }
        block.getChildren().values().forEach(child -> fold(child, manager));
    }
}
