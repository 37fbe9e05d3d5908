package org.diffusionworker.model;

/**
 * What the builders of the model's channel-mapping blocks share, as DJL's {@code ConvolutionBuilder} does for its
 * convolutions: the input and output channel counts, both required and checked when the block is built.
 *
 * @param <T> the concrete builder, returned by the setters
 */
public abstract class ChannelsBuilder<T extends ChannelsBuilder<T>> {

    int inChannels;
    int outChannels;

    public T setInChannels(int inChannels) {
        this.inChannels = inChannels;
        return self();
    }

    public T setOutChannels(int outChannels) {
        this.outChannels = outChannels;
        return self();
    }

    protected abstract T self();

    /** Throws, naming {@code block}, unless both channel counts were set to at least 1. */
    void checkChannels(String block) {
        if (inChannels < 1 || outChannels < 1) {
            throw new IllegalArgumentException(
                    block + " channels must be >= 1, got in=" + inChannels + " out=" + outChannels);
        }
    }
}
