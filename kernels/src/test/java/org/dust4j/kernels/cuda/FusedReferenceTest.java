package org.dust4j.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.dust4j.tensor.Backend;
import org.dust4j.tensor.Backends;
import org.dust4j.tensor.Ops;
import org.dust4j.tensor.ReferenceBackend;
import org.dust4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * FusedReference (the oracle of the fused CUDA kernels) against compositions of ReferenceBackend ops.
 * Both sides accumulate in double and round to float at different points, so differences are a few float ulps:
 * atol 1e-5, rtol 1e-5 (values are O(1)-O(10)).
 */
class FusedReferenceTest {
    static final ReferenceBackend R = Backends.reference();
    static final FusedReference F = new FusedReference();
    static final double ATOL = 1e-5, RTOL = 1e-5;
    static final int[][] SHAPES = {{1, 1, 1}, {1, 7, 33}, {3, 7, 33}, {2, 33, 7}, {2, 3, 1000}};

    static Tensor bcast(Tensor mod) { return mod.unsqueeze(1); }   // [B, D] -> [B, 1, D]

    @Test
    void adaLnForwardAndBackward() {
        long seed = 100;
        for (int[] s : SHAPES) {
            int b = s[0], t = s[1], d = s[2];
            Tensor x = TestData.randn(seed++, b, t, d);
            Tensor chunks = TestData.randn(seed++, b, 3 * d);                 // scale / shift as column chunks of one tensor
            Tensor scale = chunks.narrow(1, d, d), shift = chunks.narrow(1, 0, d);
            Backend.NormResult got = F.adaLn(x, scale, shift, 1e-6f);
            Backend.NormResult ln = R.layerNorm(x, null, null, 1e-6f);
            Tensor want = R.binary(Ops.Binary.ADD, R.binary(Ops.Binary.MUL, ln.out(), R.scalar(Ops.Scalar.ADD, bcast(scale), 1f)), bcast(shift));
            TestData.close("adaLn out " + java.util.Arrays.toString(s), want, got.out(), ATOL, RTOL);
            TestData.close("adaLn mean", ln.mean(), got.mean(), ATOL, RTOL);
            TestData.close("adaLn rstd", ln.rstd(), got.rstd(), ATOL, RTOL);

            Tensor g = TestData.randn(seed++, b, t, d);
            Backend.AdaLnGrads gr = F.adaLnBackward(x, scale, got.mean(), got.rstd(), g);
            Tensor gLn = R.binary(Ops.Binary.MUL, g, R.scalar(Ops.Scalar.ADD, bcast(scale), 1f));
            Tensor dx = R.layerNormBackward(x, null, ln.mean(), ln.rstd(), gLn, false).dx();
            TestData.close("adaLn dx", dx, gr.dx(), ATOL, RTOL);
            TestData.close("adaLn dscale", R.sumTo(R.binary(Ops.Binary.MUL, g, ln.out()), new int[] {b, 1, d}).reshape(b, d), gr.dscale(), 1e-4, RTOL);
            TestData.close("adaLn dshift", R.sumTo(g, new int[] {b, 1, d}).reshape(b, d), gr.dshift(), 1e-4, RTOL);
        }
    }

    @Test
    void gatedResidualForwardAndBackward() {
        long seed = 200;
        for (int[] s : SHAPES) {
            int b = s[0], t = s[1], d = s[2];
            Tensor x = TestData.randn(seed++, b, t, d), h = TestData.randn(seed++, b, t, d);
            Tensor gate = TestData.randn(seed++, b, 6 * d).narrow(1, 2 * d, d);
            Tensor want = R.binary(Ops.Binary.ADD, x, R.binary(Ops.Binary.MUL, bcast(gate), h));
            Tensor y = R.copy(x);
            F.gatedResidualInPlace(y, h, gate);
            TestData.close("gated out", want, y, ATOL, RTOL);
            Tensor g = TestData.randn(seed++, b, t, d);
            Backend.GatedGrads gr = F.gatedResidualBackward(g, h, gate);
            TestData.close("gated dh", R.binary(Ops.Binary.MUL, bcast(gate), g), gr.dh(), ATOL, RTOL);
            TestData.close("gated dgate", R.sumTo(R.binary(Ops.Binary.MUL, g, h), new int[] {b, 1, d}).reshape(b, d), gr.dgate(), 1e-4, RTOL);
        }
    }

    @Test
    void flowLossMatchesTheComposedLossAndGradient() {
        long seed = 300;
        for (int[] s : new int[][] {{1, 1, 1}, {3, 7, 33}, {4, 16, 32}, {2, 33, 1000}}) {
            Tensor v = TestData.randn(seed++, s), data = TestData.randn(seed++, s), eps = TestData.randn(seed++, s);
            Tensor elem = R.unary(Ops.Unary.RELU, R.scalar(Ops.Scalar.SUB, R.unary(Ops.Unary.SIGMOID, TestData.randn(seed++, s)), 0.3f));
            elem = R.scalar(Ops.Scalar.MIN, R.scalar(Ops.Scalar.MUL, elem, 1e9f), 1f);        // 0/1 mask
            float[] hv = new float[s[0]];
            for (int i = 0; i < hv.length; i++) hv[i] = i % 3 == 1 ? 0f : 1f;
            Tensor has = Tensor.of(hv, s[0]);
            float gradScale = 0.75f;
            for (boolean useElem : new boolean[] {false, true}) {
                for (boolean useHas : new boolean[] {false, true}) {
                    Tensor m = Tensor.full(1f, s);
                    if (useElem) m = R.binary(Ops.Binary.MUL, m, elem);
                    if (useHas) m = R.binary(Ops.Binary.MUL, m, has.reshape(s[0], 1, 1));
                    Tensor r = R.binary(Ops.Binary.SUB, v, R.binary(Ops.Binary.SUB, data, eps));
                    double den = R.sumAll(m);
                    double num = R.sumAll(R.binary(Ops.Binary.MUL, R.unary(Ops.Unary.SQUARE, r), m));
                    Backend.FlowLoss got = F.flowLoss(v, data, eps, useElem ? elem : null, useHas ? has : null, gradScale);
                    assertEquals(den, got.maskSum().item(), 1e-3, "mask sum");
                    assertEquals(den > 0 ? num / den : 0, got.loss().item(), 1e-5 * Math.max(1, num / Math.max(den, 1)), "loss");
                    Tensor wantGrad = den > 0 ? R.scalar(Ops.Scalar.MUL, R.binary(Ops.Binary.MUL, r, m), (float) (2 * gradScale / den))
                            : R.scalar(Ops.Scalar.MUL, r, 0f);
                    TestData.close("flow grad", wantGrad, got.grad(), 1e-7, 1e-5);
                }
            }
        }
        Tensor z = Tensor.zeros(2, 3);
        Backend.FlowLoss none = F.flowLoss(TestData.randn(1, 2, 3), z, z, z, null, 1f);
        assertEquals(0f, none.loss().item(), "empty mask gives loss 0");
        assertEquals(0f, none.maskSum().item());
    }

    @Test
    void categoryLinearMatchesPerSampleGemms() {
        long seed = 400;
        for (int[] s : new int[][] {{1, 1, 1, 1, 1}, {3, 7, 33, 5, 4}, {5, 16, 7, 33, 3}, {2, 1, 1000, 7, 2}}) {
            int b = s[0], t = s[1], in = s[2], out = s[3], cats = s[4];
            Tensor x = TestData.randn(seed++, b, t, in), w = TestData.randn(seed++, cats, in, out), bias = TestData.randn(seed++, cats, out);
            long[] ids = new long[b];
            for (int i = 0; i < b; i++) ids[i] = (i * 7 + 1) % cats;
            Tensor idT = Tensor.ofLongs(ids, b);
            Tensor y = F.categoryLinear(x, w, bias, idT);
            Tensor g = TestData.randn(seed++, b, t, out);
            Backend.CategoryLinearGrads gr = F.categoryLinearBackward(x, w, idT, g, true);
            List<Tensor> ys = new ArrayList<>(), dxs = new ArrayList<>();
            Tensor dw = Tensor.zeros(cats, in, out), db = Tensor.zeros(cats, out);
            for (int i = 0; i < b; i++) {
                int c = (int) ids[i];
                ys.add(R.binary(Ops.Binary.ADD, R.matmul(x.select(0, i), false, w.select(0, c), false), bias.select(0, c)).unsqueeze(0));
                dxs.add(R.matmul(g.select(0, i), false, w.select(0, c), true).unsqueeze(0));
                R.gemm(1f, x.select(0, i), true, g.select(0, i), false, 1f, dw.select(0, c));
                R.addInPlace(db.select(0, c), R.sumTo(g.select(0, i), new int[] {1, out}).reshape(out));
            }
            // the reference gemm rounds per sample before summing into dW: float rounding of O(sqrt(K)) sums
            TestData.close("catlinear y", R.concat(ys, 0), y, 1e-4, 1e-5);
            TestData.close("catlinear dx", R.concat(dxs, 0), gr.dx(), 1e-4, 1e-5);
            TestData.close("catlinear dW", dw, gr.dw(), 1e-4, 1e-5);
            TestData.close("catlinear db", db, gr.dbias(), 1e-4, 1e-5);
            assertNull(F.categoryLinearBackward(x, w, idT, g, false).dbias());
        }
        var e = assertThrows(IndexOutOfBoundsException.class,
                () -> F.categoryLinear(TestData.randn(1, 2, 1, 3), TestData.randn(2, 4, 3, 2), null, Tensor.ofLongs(new long[] {0, 4}, 2)));
        assertTrue(e.getMessage().equals("categoryLinear: index 4 out of range [0, 4)"), e.getMessage());
    }
}
