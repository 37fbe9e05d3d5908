package org.diffusionworker.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class NetworkFlopsTest {

    /**
     * ContextUnet(1 channel, n_feat 8, n_cfeat 2, height 4), counted by hand layer by layer
     * (maps 4x4, 2x2 and 1x1; a 3x3 convolution is 2 * Cin * Cout * 9 * H * W).
     */
    @Test
    void smallConfigMatchesAHandCount() {
        long initConv = 2 * 1 * 8 * 9 * 16 + 2 * 8 * 8 * 9 * 16;               // 2304 + 18432
        long down1 = 4 * (2 * 8 * 8 * 9 * 16);                                  // 4 x 18432
        long down2 = 2 * 8 * 16 * 9 * 4 + 3 * (2 * 16 * 16 * 9 * 4);           // 9216 + 3 x 18432
        long embeddings = (2 * 1 * 16 + 2 * 16 * 16) + (2 * 1 * 8 + 2 * 8 * 8) // timeembed1, timeembed2
                + (2 * 2 * 16 + 2 * 16 * 16) + (2 * 2 * 8 + 2 * 8 * 8);        // contextembed1, contextembed2
        long up0 = 2 * 16 * 16 * 1 * 1 * 1;                                     // kernel 1 (= height / 4) on 1x1
        long up1 = 2 * 32 * 8 * 2 * 2 * 1 + 4 * (2 * 8 * 8 * 9 * 4);           // ConvT 2x2 on 1x1, then 2x2 maps
        long up2 = 2 * 16 * 8 * 2 * 2 * 4 + 4 * (2 * 8 * 8 * 9 * 16);          // ConvT 2x2 on 2x2, then 4x4 maps
        long out = 2 * 16 * 8 * 9 * 16 + 2 * 8 * 1 * 9 * 16;                   // 36864 + 2304
        long hand = initConv + down1 + down2 + embeddings + up0 + up1 + up2 + out;

        assertEquals(298_384, hand);
        assertEquals(hand, NetworkFlops.forwardPerImage(new ContextUnetConfig(1, 8, 2, 4)));
    }

    /**
     * The benchmark's two models, against forward hooks on the PyTorch reference
     * (tools/reference/contextunet.py) summing the same formulas over every Conv2d,
     * ConvTranspose2d and Linear of one call on one image.
     */
    @Test
    void benchmarkModelsMatchTheReferenceHooks() {
        assertEquals(918_708_352L, NetworkFlops.forwardPerImage(new ContextUnetConfig(1, 64, 10, 28)));
        assertEquals(301_222_144L, NetworkFlops.forwardPerImage(new ContextUnetConfig(3, 64, 5, 16)));
    }
}
