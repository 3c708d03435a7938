package org.dust4j.sim;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The frozen VLM stand-in: shapes, determinism, locality of the patch grid, standardisation, instruction tokens. */
class EncoderTest {
    static final FrozenRandomEncoder.Config CFG = new FrozenRandomEncoder.Config(24, 16, 16, 8, 5);

    static Frame constant(int top, int wrist, int r, int g, int b) {
        byte[] t = new byte[top * top * 3], w = new byte[wrist * wrist * 3];
        for (byte[] a : new byte[][] {t, w})
            for (int i = 0; i < a.length; i += 3) { a[i] = (byte) r; a[i + 1] = (byte) g; a[i + 2] = (byte) b; }
        return new Frame(t, top, w, wrist);
    }

    @Test
    void sizesAndErrors() {
        FrozenRandomEncoder e = new FrozenRandomEncoder(CFG, 64, 32);
        assertEquals(2 * 16 + 8, e.vlTokens());
        assertEquals(24, e.vlDim());
        assertEquals(16, e.visionTokens());
        assertEquals(16, e.visionDim());
        var ex = assertThrows(IllegalArgumentException.class, () -> new FrozenRandomEncoder.Config(8, 8, 15, 4, 0));
        assertTrue(ex.getMessage().contains("perfect square"), ex.getMessage());
        ex = assertThrows(IllegalArgumentException.class, () -> new FrozenRandomEncoder(CFG, 60, 32));
        assertTrue(ex.getMessage().contains("top image size 60"), ex.getMessage());
        ex = assertThrows(IllegalArgumentException.class, () -> e.encodeFuture(constant(32, 32, 0, 0, 0), new float[256], 0));
        assertTrue(ex.getMessage().contains("top 32"), ex.getMessage());
    }

    @Test
    void deterministicAndSeeded() {
        Frame f = Frame.render(new Renderer(64, 32), Task.byName("push_green").reset(3));
        float[] a = new float[40 * 24], b = new float[40 * 24], c = new float[40 * 24];
        new FrozenRandomEncoder(CFG, 64, 32).encodeVl(f, "open the drawer", a, 0);
        new FrozenRandomEncoder(CFG, 64, 32).encodeVl(f, "open the drawer", b, 0);
        new FrozenRandomEncoder(new FrozenRandomEncoder.Config(24, 16, 16, 8, 6), 64, 32).encodeVl(f, "open the drawer", c, 0);
        assertArrayEquals(a, b);
        assertFalse(Arrays.equals(a, c));
    }

    @Test
    void futureTokensAreLocalAndStandardised() {
        FrozenRandomEncoder e = new FrozenRandomEncoder(CFG, 64, 32);   // g = 4: 8x8 patches of 8 px, pooled to 4x4 tokens of 16x16 px
        Frame base = constant(64, 32, 200, 180, 140);
        float[] f0 = new float[16 * 16];
        e.encodeFuture(base, f0, 0);
        for (int t = 1; t < 16; t++)      // a uniform image gives the same token everywhere
            assertArrayEquals(Arrays.copyOfRange(f0, 0, 16), Arrays.copyOfRange(f0, t * 16, t * 16 + 16), "token " + t);
        // paint pixels (row 20..27, col 40..47): inside token row 1 (rows 16..31), token col 2 (cols 32..47) => token 6
        Frame f = constant(64, 32, 200, 180, 140);
        for (int r = 20; r < 28; r++) for (int c = 40; c < 48; c++) f.top()[(r * 64 + c) * 3] = (byte) 10;
        float[] f1 = new float[16 * 16];
        e.encodeFuture(f, f1, 0);
        for (int t = 0; t < 16; t++) {
            boolean same = Arrays.equals(Arrays.copyOfRange(f0, t * 16, t * 16 + 16), Arrays.copyOfRange(f1, t * 16, t * 16 + 16));
            assertEquals(t != 6, same, "token " + t);
        }
        for (int t = 0; t < 16; t++) {     // zero mean, unit variance over channels (eps 1e-6 in the variance)
            double m = 0, v = 0;
            for (int k = 0; k < 16; k++) m += f1[t * 16 + k];
            m /= 16;
            for (int k = 0; k < 16; k++) v += (f1[t * 16 + k] - m) * (f1[t * 16 + k] - m);
            assertEquals(0, m, 1e-6);
            assertEquals(1, v / 16, 1e-4);
        }
        // the wrist view does not enter the future target
        Frame g = constant(64, 32, 200, 180, 140);
        Arrays.fill(g.wrist(), (byte) 0);
        float[] f2 = new float[16 * 16];
        e.encodeFuture(g, f2, 0);
        assertArrayEquals(f0, f2);
    }

    @Test
    void instructionTokens() {
        FrozenRandomEncoder e = new FrozenRandomEncoder(CFG, 64, 32);
        assertEquals(List.of("put", "the", "red", "block", "on", "the", "green", "pad"), FrozenRandomEncoder.words("Put the RED block on the green-pad!"));
        Frame f = constant(64, 32, 100, 100, 100);
        int s = e.vlTokens(), d = e.vlDim();
        float[] a = new float[s * d], b = new float[s * d], c = new float[s * d];
        e.encodeVl(f, "put the red block on the green pad", a, 0);
        e.encodeVl(f, "put the blue block on the green pad", b, 0);
        e.encodeVl(f, "put the red block on the green pad and then do a dance", c, 0);
        int img = 2 * 16 * d;
        assertArrayEquals(Arrays.copyOfRange(a, 0, img), Arrays.copyOfRange(b, 0, img));   // image tokens ignore words
        for (int w = 0; w < 8; w++) {
            boolean same = Arrays.equals(Arrays.copyOfRange(a, img + w * d, img + w * d + d), Arrays.copyOfRange(b, img + w * d, img + w * d + d));
            assertEquals(w != 2, same, "word " + w);                                         // only "red"/"blue" differ
        }
        assertArrayEquals(a, c);          // words past maxWords = 8 are dropped
        float[] out = new float[s * d + 5];
        e.encodeVl(f, "put the red block on the green pad", out, 5);                         // offset honoured
        assertArrayEquals(a, Arrays.copyOfRange(out, 5, out.length));
    }
}
