package org.diffusionworker.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * One step up the U: concatenate the skip connection on channels, upsample 2x with a transposed
 * convolution, then two ResidualConvBlocks. Inputs: {@code (x, skip)}.
 */
public final class UnetUpBlock extends AbstractBlock {

    private static final byte VERSION = 1;

    private final PatchConvTranspose2dBlock upsample;
    private final ResidualConvBlock first;
    private final ResidualConvBlock second;

    private UnetUpBlock(ChannelsBuilder<?, ?> builder) {
        super(VERSION);
        int out = builder.outChannels;
        this.upsample = addChildBlock("model.0", PatchConvTranspose2dBlock.builder()
                .setInChannels(builder.inChannels)
                .setOutChannels(out)
                .setKernel(2)
                .build());
        this.first = addChildBlock("model.1",
                ResidualConvBlock.builder().setInChannels(out).setOutChannels(out).build());
        this.second = addChildBlock("model.2",
                ResidualConvBlock.builder().setInChannels(out).setOutChannels(out).build());
    }

    /**
     * Builds an {@link UnetUpBlock}; both channel counts are required, the input counting x and skip together, as the
     * seed's {@code UnetUp(in, out)}.
     */
    public static ChannelsBuilder.ChannelsOnly<UnetUpBlock> builder() {
        return new ChannelsBuilder.ChannelsOnly<>("UnetUp", UnetUpBlock::new);
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray joined = inputs.get(0).concat(inputs.get(1), 1);
        NDList up = upsample.forward(store, new NDList(joined), training);
        return second.forward(store, first.forward(store, up, training), training);
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape joined = joinedShape(inputShapes);
        upsample.initialize(manager, dataType, joined);
        Shape[] up = upsample.getOutputShapes(new Shape[] {joined});
        first.initialize(manager, dataType, up);
        second.initialize(manager, dataType, up);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return upsample.getOutputShapes(new Shape[] {joinedShape(inputShapes)});
    }

    private static Shape joinedShape(Shape[] inputShapes) {
        Shape x = inputShapes[0];
        Shape skip = inputShapes[1];
        return new Shape(x.get(0), x.get(1) + skip.get(1), x.get(2), x.get(3));
    }
}
