package org.diffusionworker.model;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * Embeds a time value or a context vector: flatten to {@code [-1, in]}, Linear, GELU, Linear.
 */
public final class EmbedFcBlock extends AbstractBlock {

    private static final byte VERSION = 1;

    private final int inputDim;
    private final Linear first;
    private final Linear second;

    private EmbedFcBlock(Builder builder) {
        super(VERSION);
        this.inputDim = builder.inputDim;
        this.first = addChildBlock("model.0", Linear.builder().setUnits(builder.embedDim).build());
        this.second = addChildBlock("model.2", Linear.builder().setUnits(builder.embedDim).build());
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Builds an {@link EmbedFcBlock}; both dimensions are required. */
    public static final class Builder {
        private int inputDim;
        private int embedDim;

        public Builder setInputDim(int inputDim) {
            this.inputDim = inputDim;
            return this;
        }

        public Builder setEmbedDim(int embedDim) {
            this.embedDim = embedDim;
            return this;
        }

        public EmbedFcBlock build() {
            if (inputDim < 1 || embedDim < 1) {
                throw new IllegalArgumentException(
                        "EmbedFC dimensions must be >= 1, got in=" + inputDim + " emb=" + embedDim);
            }
            return new EmbedFcBlock(this);
        }
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
        NDList flat = new NDList(inputs.singletonOrThrow().reshape(-1, inputDim));
        NDList hidden = new NDList(Activation.gelu(first.forward(store, flat, training).singletonOrThrow()));
        return second.forward(store, hidden, training);
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape flat = new Shape(-1, inputDim);
        first.initialize(manager, dataType, flat);
        second.initialize(manager, dataType, first.getOutputShapes(new Shape[] {flat}));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return second.getOutputShapes(first.getOutputShapes(new Shape[] {new Shape(-1, inputDim)}));
    }
}
