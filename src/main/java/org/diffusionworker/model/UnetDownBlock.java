package org.diffusionworker.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/** One step down the U: two ResidualConvBlocks then a 2x2 max-pool halving height and width. */
public final class UnetDownBlock extends AbstractBlock {

    private static final byte VERSION = 1;
    private static final Shape POOL = new Shape(2, 2);

    private final ResidualConvBlock first;
    private final ResidualConvBlock second;

    private UnetDownBlock(ChannelsBuilder<?, ?> builder) {
        super(VERSION);
        this.first = addChildBlock("model.0", ResidualConvBlock.builder()
                .setInChannels(builder.inChannels).setOutChannels(builder.outChannels).build());
        this.second = addChildBlock("model.1", ResidualConvBlock.builder()
                .setInChannels(builder.outChannels).setOutChannels(builder.outChannels).build());
    }

    /** Builds an {@link UnetDownBlock}; both channel counts are required. */
    public static ChannelsBuilder.ChannelsOnly<UnetDownBlock> builder() {
        return new ChannelsBuilder.ChannelsOnly<>("UnetDown", UnetDownBlock::new);
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
        NDList features = second.forward(store, first.forward(store, inputs, training), training);
        NDArray pooled = Pool.maxPool2d(features.singletonOrThrow(), POOL, POOL, new Shape(0, 0), false);
        return new NDList(pooled);
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        first.initialize(manager, dataType, inputShapes);
        second.initialize(manager, dataType, first.getOutputShapes(inputShapes));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape s = first.getOutputShapes(inputShapes)[0];
        return new Shape[] {new Shape(s.get(0), s.get(1), s.get(2) / 2, s.get(3) / 2)};
    }
}
