package org.diffusionworker.model;

import java.util.function.Function;

/**
 * What the builders of the model's channel-mapping blocks share, as DJL's {@code ConvolutionBuilder} does for its
 * convolutions: the input and output channel counts, both required, and a {@link #build} that checks them (and
 * whatever {@link #checkOptions} adds) before it makes the block.
 *
 * @param <T> the concrete builder, returned by the setters
 * @param <B> the block it builds
 */
public abstract class ChannelsBuilder<T extends ChannelsBuilder<T, B>, B> {

    private final String block;
    private final Function<? super T, B> make;
    int inChannels;
    int outChannels;

    /**
     * @param block the block's name in messages (the seed's, such as {@code UnetDown})
     * @param make the block's constructor, given the checked builder
     */
    ChannelsBuilder(String block, Function<? super T, B> make) {
        this.block = block;
        this.make = make;
    }

    public T setInChannels(int inChannels) {
        this.inChannels = inChannels;
        return self();
    }

    public T setOutChannels(int outChannels) {
        this.outChannels = outChannels;
        return self();
    }

    /** The block, once both channel counts are at least 1 and {@link #checkOptions} passes. */
    public B build() {
        if (inChannels < 1 || outChannels < 1) {
            throw new IllegalArgumentException(
                    block + " channels must be >= 1, got in=" + inChannels + " out=" + outChannels);
        }
        checkOptions();
        return make.apply(self());
    }

    /** Throws, naming the setting, where a builder's further settings are invalid; nothing to check by default. */
    void checkOptions() {}

    @SuppressWarnings("unchecked")
    private T self() {
        // Every subclass names itself as T (it is final), so this is a T.
        return (T) this;
    }

    /** The builder of a block that needs nothing but its two channel counts. */
    public static final class ChannelsOnly<B> extends ChannelsBuilder<ChannelsOnly<B>, B> {

        ChannelsOnly(String block, Function<? super ChannelsOnly<B>, B> make) {
            super(block, make);
        }
    }
}
