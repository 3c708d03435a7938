package org.dust4j.autograd.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.dust4j.autograd.F;
import org.dust4j.autograd.TestUtil;
import org.dust4j.autograd.Var;
import org.dust4j.tensor.Backends;
import org.dust4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** Module names, initialisation, train/eval switching and forward passes against hand-written double math. */
class NnTest {

    private static Tensor randn(long seed, float scale, int... shape) {
        float[] d = Backends.reference().random(seed, true, shape).toFloatArray();
        for (int i = 0; i < d.length; i++) d[i] *= scale;
        return Tensor.of(d, shape);
    }

    @Test
    void attentionNamesInAModuleList() {
        ParamInit init = new ParamInit(1);
        ModuleList blocks = new ModuleList(new Attention(8, null, 2, 4, false, true, 0f, init),
                new Attention(8, 6, 2, 4, true, true, 0f, init));
        assertEquals(List.of("0.to_q.weight", "0.to_k.weight", "0.to_v.weight", "0.to_out.0.weight", "0.to_out.0.bias",
                "1.to_q.weight", "1.to_q.bias", "1.to_k.weight", "1.to_k.bias", "1.to_v.weight", "1.to_v.bias",
                "1.to_out.0.weight", "1.to_out.0.bias"), new ArrayList<>(blocks.namedParameters().keySet()));
        Map<String, Var> p = blocks.namedParameters();
        assertArrayEquals(new int[] {8, 8}, p.get("0.to_q.weight").shape());
        assertArrayEquals(new int[] {8, 6}, p.get("1.to_k.weight").shape());
        assertArrayEquals(new int[] {8, 8}, p.get("1.to_out.0.weight").shape());
        assertEquals(13, blocks.parameters().size());
        assertTrue(((Attention) blocks.get(0)).toOut.get(1) instanceof Dropout);
    }

    @Test
    void feedForwardNames() {
        FeedForward ff = new FeedForward(4, 4, 0.1f, true, new ParamInit(2));
        assertEquals(List.of("net.0.proj.weight", "net.0.proj.bias", "net.2.weight", "net.2.bias"),
                new ArrayList<>(ff.namedParameters().keySet()));
        assertArrayEquals(new int[] {16, 4}, ff.namedParameters().get("net.0.proj.weight").shape());
        assertArrayEquals(new int[] {4, 16}, ff.namedParameters().get("net.2.weight").shape());
        assertEquals(List.of("weight"), new ArrayList<>(new FeedForward(4, 2, 0f, false, new ParamInit(2)).net.get(2).namedParameters().keySet()));
    }

    @Test
    void normAndEmbeddingParams() {
        LayerNorm ln = new LayerNorm(5, 1e-6f, true);
        assertEquals(List.of("weight", "bias"), new ArrayList<>(ln.namedParameters().keySet()));
        assertArrayEquals(new float[] {1, 1, 1, 1, 1}, ln.weight.value().toFloatArray());
        assertArrayEquals(new float[5], ln.bias.value().toFloatArray());
        assertTrue(new LayerNorm(5, 1e-6f, false).namedParameters().isEmpty());
        RMSNorm rms = new RMSNorm(3, 1e-6f);
        assertEquals(List.of("weight"), new ArrayList<>(rms.namedParameters().keySet()));
        Embedding emb = new Embedding(7, 3, new ParamInit(5));
        assertEquals(List.of("weight"), new ArrayList<>(emb.namedParameters().keySet()));
        Var rows = emb.forward(Tensor.ofLongs(new long[] {6, 0, 6}, 3));
        float[] t = emb.weight.value().toFloatArray(), r = rows.value().toFloatArray();
        for (int c = 0; c < 3; c++) {
            assertEquals(t[18 + c], r[c]);
            assertEquals(t[c], r[3 + c]);
            assertEquals(t[18 + c], r[6 + c]);
        }
        assertTrue(new GELU().namedParameters().isEmpty() && new SiLU().namedParameters().isEmpty()
                && new ReLU().namedParameters().isEmpty());
    }

    @Test
    void paramInitIsReproducibleAndTorchLike() {
        Linear a = new Linear(16, 8, true, new ParamInit(42)), b = new Linear(16, 8, true, new ParamInit(42));
        Linear c = new Linear(16, 8, true, new ParamInit(43));
        assertArrayEquals(a.weight.value().toFloatArray(), b.weight.value().toFloatArray());
        assertArrayEquals(a.bias.value().toFloatArray(), b.bias.value().toFloatArray());
        assertFalse(java.util.Arrays.equals(a.weight.value().toFloatArray(), c.weight.value().toFloatArray()));
        float bound = 0.25f;   // 1/sqrt(16)
        double sum = 0;
        for (float v : a.weight.value().toFloatArray()) {
            assertTrue(v >= -bound && v <= bound, "weight " + v + " outside U(-0.25, 0.25)");
            sum += v;
        }
        assertEquals(0, sum / 128, 0.06, "mean of 128 U(-0.25,0.25) draws (sd 0.013)");
        float[] e = new Embedding(100, 40, new ParamInit(3)).weight.value().toFloatArray();
        double m = 0, ss = 0;
        for (float v : e) {
            m += v;
            ss += v * v;
        }
        assertEquals(0, m / e.length, 0.05, "N(0,1) mean over 4000 draws (sd 0.016)");
        assertEquals(1, ss / e.length, 0.1, "N(0,1) second moment over 4000 draws (sd 0.022)");
    }

    @Test
    void linearForwardMatchesHandMath() {
        Linear lin = new Linear(3, 2, true, new ParamInit(9));
        Tensor x = randn(1, 1f, 4, 3);
        float[] w = lin.weight.value().toFloatArray(), b = lin.bias.value().toFloatArray(), xv = x.toFloatArray();
        float[] ref = new float[8];
        for (int r = 0; r < 4; r++) {
            for (int o = 0; o < 2; o++) {
                double s = b[o];
                for (int i = 0; i < 3; i++) s += (double) xv[r * 3 + i] * w[o * 3 + i];
                ref[r * 2 + o] = (float) s;
            }
        }
        // float32 dot products of 3 terms
        TestUtil.close("linear", ref, lin.forward(Var.constant(x)).value().toFloatArray(), 1e-6, 1e-5);
        var e = assertThrows(IllegalArgumentException.class, () -> lin.forward(Var.constant(Tensor.zeros(4, 5))));
        assertTrue(e.getMessage().contains("linear") && e.getMessage().contains("[4, 5]") && e.getMessage().contains("[2, 3]"), e.getMessage());
    }

    /** y[b,t,:] for multi-head attention written with plain loops in double. */
    private static float[] attentionRef(Attention at, Tensor x, Tensor ctx) {
        int bsz = x.size(0), tq = x.size(1), dq = x.size(2), tk = ctx.size(1), dc = ctx.size(2);
        int h = at.heads, dh = at.headDim, inner = h * dh;
        double[] q = proj(x.toFloatArray(), bsz * tq, dq, at.toQ), k = proj(ctx.toFloatArray(), bsz * tk, dc, at.toK);
        double[] v = proj(ctx.toFloatArray(), bsz * tk, dc, at.toV);
        double[] merged = new double[bsz * tq * inner];
        for (int b = 0; b < bsz; b++) {
            for (int hh = 0; hh < h; hh++) {
                for (int i = 0; i < tq; i++) {
                    double[] s = new double[tk];
                    double max = Double.NEGATIVE_INFINITY, sum = 0;
                    for (int j = 0; j < tk; j++) {
                        for (int c = 0; c < dh; c++) s[j] += q[(b * tq + i) * inner + hh * dh + c] * k[(b * tk + j) * inner + hh * dh + c];
                        s[j] /= Math.sqrt(dh);
                        max = Math.max(max, s[j]);
                    }
                    for (int j = 0; j < tk; j++) sum += Math.exp(s[j] - max);
                    for (int c = 0; c < dh; c++) {
                        double acc = 0;
                        for (int j = 0; j < tk; j++) acc += Math.exp(s[j] - max) / sum * v[(b * tk + j) * inner + hh * dh + c];
                        merged[(b * tq + i) * inner + hh * dh + c] = acc;
                    }
                }
            }
        }
        float[] mf = new float[merged.length];
        for (int i = 0; i < mf.length; i++) mf[i] = (float) merged[i];
        double[] out = proj(mf, bsz * tq, inner, (Linear) at.toOut.get(0));
        float[] o = new float[out.length];
        for (int i = 0; i < o.length; i++) o[i] = (float) out[i];
        return o;
    }

    private static double[] proj(float[] x, int rows, int in, Linear l) {
        float[] w = l.weight.value().toFloatArray(), b = l.bias == null ? null : l.bias.value().toFloatArray();
        int out = l.out;
        double[] y = new double[rows * out];
        for (int r = 0; r < rows; r++) {
            for (int o = 0; o < out; o++) {
                double s = b == null ? 0 : b[o];
                for (int i = 0; i < in; i++) s += (double) x[r * in + i] * w[o * in + i];
                y[r * out + o] = s;
            }
        }
        return y;
    }

    @Test
    void selfAndCrossAttentionForward() {
        ParamInit init = new ParamInit(11);
        Attention self = new Attention(8, null, 2, 4, true, true, 0f, init);
        Attention cross = new Attention(8, 6, 4, 3, false, true, 0f, init);
        Tensor x = randn(20, 1f, 2, 5, 8), ctx = randn(21, 1f, 2, 3, 6);
        // float32 chains of <= 12-term dot products and a softmax: 1e-5 relative, 1e-6 absolute for values ~0.1
        TestUtil.close("self attention", attentionRef(self, x, x), self.forward(Var.constant(x), null).value().toFloatArray(), 1e-5, 1e-4);
        TestUtil.close("self attention overload", attentionRef(self, x, x), self.forward(Var.constant(x)).value().toFloatArray(), 1e-5, 1e-4);
        Var out = cross.forward(Var.constant(x), Var.constant(ctx));
        assertArrayEquals(new int[] {2, 5, 8}, out.shape());
        TestUtil.close("cross attention", attentionRef(cross, x, ctx), out.value().toFloatArray(), 1e-5, 1e-4);
        var e = assertThrows(IllegalArgumentException.class, () -> cross.forward(Var.constant(x), Var.constant(randn(1, 1f, 3, 3, 6))));
        assertTrue(e.getMessage().contains("[2, 5, 8]") && e.getMessage().contains("[3, 3, 6]"), e.getMessage());
    }

    @Test
    void attentionGradientsReachEveryParameter() {
        Attention at = new Attention(8, 6, 2, 4, true, true, 0f, new ParamInit(12));
        F.mean(F.square(at.forward(Var.constant(randn(30, 1f, 1, 3, 8)), Var.constant(randn(31, 1f, 1, 4, 6))))).backward();
        for (Map.Entry<String, Var> e : at.namedParameters().entrySet()) {
            assertTrue(e.getValue().grad() != null, e.getKey() + " has no gradient");
            assertTrue(Backends.reference().sumSquares(e.getValue().grad()) > 0, e.getKey() + " has a zero gradient");
        }
    }

    @Test
    void feedForwardTrainEvalSwitching() {
        FeedForward ff = new FeedForward(4, 2, 0.5f, true, new ParamInit(13));
        Tensor x = randn(40, 1f, 3, 4);
        assertTrue(ff.isTraining() && ff.net.get(1).isTraining());
        ff.eval();
        assertFalse(ff.isTraining());
        assertFalse(ff.net.isTraining());
        assertFalse(ff.net.get(1).isTraining());
        Linear l1 = ((GELU) ff.net.get(0)).proj, l2 = (Linear) ff.net.get(2);
        Var expected = F.linear(F.gelu(F.linear(Var.constant(x), l1.weight, l1.bias)), l2.weight, l2.bias);
        float[] eval1 = ff.forward(Var.constant(x)).value().toFloatArray();
        assertArrayEquals(expected.value().toFloatArray(), eval1, "eval mode: dropout is the identity");
        assertArrayEquals(eval1, ff.forward(Var.constant(x)).value().toFloatArray());
        ff.train();
        assertTrue(ff.net.get(1).isTraining());
        float[] t1 = ff.forward(Var.constant(x)).value().toFloatArray(), t2 = ff.forward(Var.constant(x)).value().toFloatArray();
        assertFalse(java.util.Arrays.equals(eval1, t1), "train mode applies dropout");
        assertFalse(java.util.Arrays.equals(t1, t2), "each call draws a fresh mask");
        assertEquals(2, ((Dropout) ff.net.get(1)).calls());
    }

    @Test
    void dropoutModule() {
        Dropout d = new Dropout(0.5f, 7);
        Var x = Var.param(Tensor.full(1f, 64));
        Var y = d.forward(x);
        long zeros = 0;
        for (float v : y.value().toFloatArray()) {
            assertTrue(v == 0f || v == 2f, "value " + v);
            if (v == 0f) zeros++;
        }
        assertTrue(zeros > 10 && zeros < 54, "zeros " + zeros + " of 64 at p=0.5");
        d.eval();
        assertSame(x, d.forward(x));
        // same seed, same call index -> same mask
        Dropout d2 = new Dropout(0.5f, 7);
        assertArrayEquals(y.value().toFloatArray(), d2.forward(x).value().toFloatArray());
        assertNotEquals(0, d2.calls());
        assertThrows(IllegalArgumentException.class, () -> new Dropout(-0.1f, 1));
    }

    @Test
    void normModulesForward() {
        LayerNorm ln = new LayerNorm(4, 1e-5f, true);
        ln.weight.setValue(Tensor.of(new float[] {1f, 2f, 3f, 4f}, 4));
        ln.bias.setValue(Tensor.of(new float[] {0f, 1f, 0f, -1f}, 4));
        float[] x = {1f, 2f, 3f, 6f};
        double mu = 3, var = (4 + 1 + 0 + 9) / 4.0, rs = 1 / Math.sqrt(var + 1e-5);
        float[] ref = new float[4];
        float[] w = {1, 2, 3, 4}, b = {0, 1, 0, -1};
        for (int i = 0; i < 4; i++) ref[i] = (float) ((x[i] - mu) * rs * w[i] + b[i]);
        // one float32 normalisation of 4 values
        TestUtil.close("layerNorm", ref, ln.forward(Var.constant(Tensor.of(x, 1, 4))).value().toFloatArray(), 1e-6, 1e-5);
        RMSNorm rms = new RMSNorm(4, 1e-6f);
        double r = 1 / Math.sqrt((1 + 4 + 9 + 36) / 4.0 + 1e-6);
        float[] ref2 = new float[4];
        for (int i = 0; i < 4; i++) ref2[i] = (float) (x[i] * r);
        TestUtil.close("rmsNorm", ref2, rms.forward(Var.constant(Tensor.of(x, 4))).value().toFloatArray(), 1e-6, 1e-5);
    }

    @Test
    void activationModules() {
        Tensor x = Tensor.of(new float[] {-1f, 0.5f, 2f}, 3);
        assertArrayEquals(new float[] {0f, 0.5f, 2f}, new ReLU().forward(Var.constant(x)).value().toFloatArray());
        float[] silu = new SiLU().forward(Var.constant(x)).value().toFloatArray();
        float[] gelu = new GELU().forward(Var.constant(x)).value().toFloatArray();
        float[] xv = x.toFloatArray();
        for (int i = 0; i < 3; i++) {
            double v = xv[i];
            assertEquals(v / (1 + Math.exp(-v)), silu[i], 1e-6);
            assertEquals(0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v))), gelu[i], 1e-6);
        }
    }

    @Test
    void moduleRegistrationErrors() {
        Module m = new Module() {
            {
                param("w", Tensor.zeros(2));
                var e = assertThrows(IllegalArgumentException.class, () -> param("w", Tensor.zeros(2)));
                assertTrue(e.getMessage().contains("'w'"), e.getMessage());
                assertThrows(IllegalArgumentException.class, () -> register("a.b", new ReLU()));
            }
        };
        assertEquals(1, m.parameters().size());
        m.zeroGrad();
        assertNull(m.parameters().get(0).grad());
        assertThrows(IndexOutOfBoundsException.class, () -> new ModuleList().get(0));
        var e = assertThrows(IllegalStateException.class, () -> new ModuleList(new Embedding(2, 2, new ParamInit(1)))
                .forward(Var.constant(Tensor.zeros(1))));
        assertTrue(e.getMessage().contains("Embedding"), e.getMessage());
    }
}
