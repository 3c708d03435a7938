package org.dust4j.backbone;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.dust4j.tensor.Backends;
import org.dust4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** The worked examples of backbone-contract.md: pixel shuffle (section 4.5) and RoPE (section 4.8). */
class BackboneMathTest {

    @Test
    void pixelShuffleExampleOfSection45() {
        // G = 4 (S 8, p 2), k = 2, Dv = 1, v[r·4 + c] = 10r + c
        BackboneConfig c = new BackboneConfig(8, 2, 1, 1, 4, 1, 1e-6, 2, 1, -1, 0, 4, 1, 1, 4, 4, 1, 10, 1e6, 1e-6, 1, 0);
        float[] v = new float[16];
        for (int r = 0; r < 4; r++) for (int col = 0; col < 4; col++) v[r * 4 + col] = 10 * r + col;
        EagleBackbone bb = new EagleBackbone(c, null, Backends.cpu());
        Tensor out = bb.pixelShuffle(Tensor.of(v, 1, 16, 1));
        assertArrayEquals(new int[] {1, 4, 4}, out.shape());
        assertArrayEquals(new float[] {0, 1, 10, 11, 2, 3, 12, 13, 20, 21, 30, 31, 22, 23, 32, 33}, out.toFloatArray());
    }

    @Test
    void ropeExampleOfSection48() {
        // hd = 4, theta = 100, p = 1, u = [1, 2, 3, 4]; position 0 (first row) is left unchanged
        float[] u = {1, 2, 3, 4, 1, 2, 3, 4};
        EagleBackbone.applyRope(u, 1, 2, 1, 4, EagleBackbone.ropeTables(2, 4, 100));
        double[] want = {Math.cos(1) - 3 * Math.sin(1), 2 * Math.cos(0.1) - 4 * Math.sin(0.1), 3 * Math.cos(1) + Math.sin(1),
                4 * Math.cos(0.1) + 2 * Math.sin(0.1)};
        for (int i = 0; i < 4; i++) {
            assertEquals(i + 1, u[i], 0f, "position 0 is the identity");
            assertEquals(want[i], u[4 + i], 1e-6, "u'[" + i + "] (float32 rounding of O(1) values)");
        }
    }
}
