package org.diffusionworker.model;

/**
 * Floating-point operations of one ContextUnet call per image, counted from the layer shapes:
 * a multiply-add is two operations; convolutions {@code 2 Cin Cout k k Hout Wout}; transposed
 * convolutions {@code 2 Cin Cout k k Hin Win} (every input pixel meets the whole kernel; with
 * stride == kernel, as in every ContextUnet upsampling, that is {@code 2 Cin Cout Hout Wout});
 * linear layers {@code 2 in out}. Biases, normalisations, activations, pooling, concatenation and
 * the sampler's arithmetic are elementwise and left out (well under 1% here).
 */
public final class NetworkFlops {

    private NetworkFlops() {}

    /** FLOPs of one forward pass of one image. */
    public static long forwardPerImage(ContextUnetConfig config) {
        int c = config.inChannels();
        int nf = config.nFeat();
        int nc = config.nCfeat();
        int h = config.height();
        int half = h / 2;
        int quarter = config.bottleneckSize();
        long initConv = conv3x3(c, nf, h) + conv3x3(nf, nf, h);
        long down1 = 4 * conv3x3(nf, nf, h);
        long down2 = conv3x3(nf, 2 * nf, half) + 3 * conv3x3(2 * nf, 2 * nf, half);
        long embeddings = embed(1, 2 * nf) + embed(1, nf) + embed(nc, 2 * nf) + embed(nc, nf);
        long up0 = convTranspose(2 * nf, 2 * nf, quarter, 1);
        long up1 = convTranspose(4 * nf, nf, 2, quarter) + 4 * conv3x3(nf, nf, half);
        long up2 = convTranspose(2 * nf, nf, 2, half) + 4 * conv3x3(nf, nf, h);
        long out = conv3x3(2 * nf, nf, h) + conv3x3(nf, c, h);
        return initConv + down1 + down2 + embeddings + up0 + up1 + up2 + out;
    }

    /** A 3x3 convolution with padding 1 on a {@code size x size} map. */
    static long conv3x3(int in, int out, int size) {
        return 2L * in * out * 9 * size * size;
    }

    /** A transposed convolution with a {@code kernel x kernel} kernel on a {@code inSize x inSize} map. */
    static long convTranspose(int in, int out, int kernel, int inSize) {
        return 2L * in * out * kernel * kernel * inSize * inSize;
    }

    static long linear(int in, int out) {
        return 2L * in * out;
    }

    /** EmbedFC: Linear(in, out), GELU, Linear(out, out). */
    private static long embed(int in, int out) {
        return linear(in, out) + linear(out, out);
    }
}
