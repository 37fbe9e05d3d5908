package org.diffusionworker.model;

/**
 * The shape of a ContextUnet: input channels, feature maps, context width and image height.
 *
 * <p>Validated on construction so that a bad model card fails at load time with the offending
 * value named, not deep inside a forward pass.
 */
public record ContextUnetConfig(int inChannels, int nFeat, int nCfeat, int height) {

    /** GroupNorm(8, n_feat) in the seed's {@code up0} and {@code out} needs n_feat divisible by 8. */
    static final int GROUP_NORM_GROUPS = 8;

    public ContextUnetConfig {
        if (inChannels < 1 || inChannels > 4) {
            throw new IllegalArgumentException("inChannels must be 1..4, got " + inChannels);
        }
        if (nFeat < GROUP_NORM_GROUPS || nFeat % GROUP_NORM_GROUPS != 0 || nFeat > 1024) {
            throw new IllegalArgumentException(
                    "nFeat must be a multiple of " + GROUP_NORM_GROUPS + " in 8..1024 (GroupNorm(8, nFeat)), got " + nFeat);
        }
        if (nCfeat < 1 || nCfeat > 1024) {
            throw new IllegalArgumentException("nCfeat must be 1..1024, got " + nCfeat);
        }
        // Two 2x poolings then a kernel == stride == height/4 transposed convolution back up:
        // any height divisible by 4 works once the bottleneck is pooled to 1 x 1 (seed defect 3).
        if (height < 4 || height % 4 != 0 || height > 256) {
            throw new IllegalArgumentException(
                    "height must be a multiple of 4 in 4..256 (two 2x poolings), got " + height);
        }
    }

    /** The spatial size of the bottleneck feature map, and the kernel/stride of {@code up0}. */
    public int bottleneckSize() {
        return height / 4;
    }
}
