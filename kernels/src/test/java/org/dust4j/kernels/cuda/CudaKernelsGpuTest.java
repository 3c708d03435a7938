package org.dust4j.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.List;
import org.dust4j.tensor.Backend;
import org.dust4j.tensor.Backends;
import org.dust4j.tensor.DType;
import org.dust4j.tensor.Ops;
import org.dust4j.tensor.ReferenceBackend;
import org.dust4j.tensor.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Every CUDA kernel against the CPU oracle (ReferenceBackend, FusedReference) on odd shapes (1, 7, 33, 1000) and
 * non-contiguous views: |gpu - ref| <= atol + rtol*|ref|. Needs a CUDA device: without one every test is skipped
 * visibly ("no CUDA device: GPU test skipped" on stdout), and with -Ddust4j.requireGpu=true (scripts/gpu-check.sh)
 * a missing device is a failure instead.
 * <p>Tolerances: F32 kernels accumulate in float (tree or sequential order) against a double oracle: relative
 * error grows like eps_f32 * sqrt(K) to eps_f32 * K for K-term sums, so rtol 1e-4 / atol 1e-5 for sums up to ~1000
 * terms of O(1) values; element-wise F32 math uses expf/tanhf (few-ulp): rtol 2e-6 atol 1e-6. BF16 storage rounds
 * inputs and outputs to 8 mantissa bits (relative 2^-8 = 3.9e-3): rtol 2e-2 atol 2e-2 against the oracle run on
 * the same BF16-rounded inputs.
 */
class CudaKernelsGpuTest {
    static final ReferenceBackend R = Backends.reference();
    static final FusedReference F = new FusedReference();
    static CudaBackend cb;

    static String unavailable;

    @BeforeAll
    static void open() {
        unavailable = CudaBackendProvider.unavailableReason();
        if (unavailable != null) {
            if (Boolean.getBoolean("dust4j.requireGpu")) fail("GPU required (dust4j.requireGpu) but unavailable: " + unavailable);
            System.out.println("no CUDA device: GPU test skipped (" + unavailable + ")");
            return;
        }
        cb = (CudaBackend) Backends.forDevice(org.dust4j.tensor.Device.cuda(0));
        System.out.println("GPU tests on " + cb.gpu().describe() + ", gemm: " + cb.gemmEngine());
    }

    /** Each test reports itself skipped (counted by surefire) when there is no device. */
    @BeforeEach
    void needDevice() {
        if (unavailable != null) Assumptions.abort("no CUDA device: GPU test skipped (" + unavailable + ")");
    }

    @AfterAll
    static void done() {
        if (cb != null) cb.synchronize();
    }

    static Tensor host(Tensor t) { return cb.toHost(t); }

    static final int[] SIZES = {1, 7, 33, 1000};

    @Test
    void elementwiseBinaryScalarUnary() {
        long seed = 1;
        for (int n : SIZES) {
            Tensor a = TestData.randn(seed++, 3, n), row = TestData.randn(seed++, n), col = TestData.randn(seed++, 3, 1);
            Tensor view = TestData.randn(seed++, n, 3).mT();
            for (Ops.Binary op : Ops.Binary.values()) {
                TestData.close("binary " + op, R.binary(op, a, row), host(cb.binary(op, a, row)), 1e-6, 2e-6);
                TestData.close("binary " + op + " view", R.binary(op, view, col), host(cb.binary(op, view, col)), 1e-6, 2e-6);
            }
            for (Ops.Scalar op : Ops.Scalar.values()) {
                Tensor pos = R.unary(Ops.Unary.ABS, view);
                TestData.close("scalar " + op, R.scalar(op, pos, 1.5f), host(cb.scalar(op, pos, 1.5f)), 1e-6, 2e-6);
            }
            for (Ops.Unary op : Ops.Unary.values()) {
                Tensor x = op == Ops.Unary.LOG || op == Ops.Unary.SQRT || op == Ops.Unary.RSQRT ? R.scalar(Ops.Scalar.ADD, R.unary(Ops.Unary.ABS, view), 0.1f) : view;
                TestData.close("unary " + op, R.unary(op, x), host(cb.unary(op, x)), 1e-6, 4e-6);
                TestData.close("unary bwd " + op, R.unaryBackward(op, x, a), host(cb.unaryBackward(op, x, a)), 1e-6, 4e-6);
            }
            // ReLU follows PyTorch on non-finite input: NaN passes through forward and its gradient passes backward.
            Tensor odd = Tensor.of(new float[] {Float.NaN, -0f, 0f, -1f, 2f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}, 7);
            Tensor g7 = Tensor.of(new float[] {3f, 3f, 3f, 3f, 3f, 3f, 3f}, 7);
            TestData.close("relu non-finite", R.unary(Ops.Unary.RELU, odd), host(cb.unary(Ops.Unary.RELU, odd)), 0, 0);
            TestData.close("relu bwd non-finite", R.unaryBackward(Ops.Unary.RELU, odd, g7),
                    host(cb.unaryBackward(Ops.Unary.RELU, odd, g7)), 0, 0);
            Tensor dst = cb.toDevice(a);
            cb.addInPlace(dst, row);
            TestData.close("addInPlace", R.binary(Ops.Binary.ADD, a, row), host(dst), 1e-6, 1e-6);
            Tensor y = cb.toDevice(a);
            cb.biasAdd(y, cb.toDevice(row));
            TestData.close("biasAdd", R.binary(Ops.Binary.ADD, a, row), host(y), 1e-6, 1e-6);
        }
    }

    @Test
    void conversionsAndCopiesAreExact() {
        Tensor x = TestData.randn(10, 33, 1000);
        float[] special = {Float.NaN, Float.POSITIVE_INFINITY, -0f, 1e-40f, 3.4e38f, 1.00390625f, 1.01171875f};
        Tensor s = Tensor.of(special, special.length);
        for (Tensor t : new Tensor[] {x, s, x.mT()}) {
            Tensor bfRef = Backends.cpu().convert(t, DType.BF16);
            assertArrayEquals(bfRef.toFloatArray(), host(cb.convert(t, DType.BF16)).toFloatArray(), "F32 -> BF16 round to nearest even");
            assertArrayEquals(Backends.cpu().convert(bfRef, DType.F32).toFloatArray(), host(cb.convert(cb.toDevice(bfRef), DType.F32)).toFloatArray());
        }
        Tensor dst = cb.zeros(DType.F32, 1000, 33);
        cb.copyInto(cb.toDevice(x).mT(), dst);
        assertArrayEquals(x.mT().contiguous().toFloatArray(), host(dst).toFloatArray());
        Tensor filled = cb.toDevice(x);
        cb.fill(filled.narrow(1, 5, 7), 2.5f);
        Tensor want = R.copy(x);
        R.fill(want.narrow(1, 5, 7), 2.5f);
        assertArrayEquals(want.toFloatArray(), host(filled).toFloatArray());
        Tensor c = cb.concat(List.of(cb.toDevice(x.narrow(1, 0, 7)), cb.toDevice(x.narrow(1, 7, 993))), 1);
        assertArrayEquals(x.toFloatArray(), host(c).toFloatArray());
    }

    @Test
    void reductions() {
        long seed = 20;
        for (int n : SIZES) {
            Tensor x = TestData.randn(seed++, 7, n, 3);
            for (Ops.Reduce op : Ops.Reduce.values()) {
                for (int axis = 0; axis < 3; axis++) {
                    // float sums of up to 1000 O(1) terms
                    TestData.close("reduce " + op + " axis " + axis, R.reduce(op, x, axis, false), host(cb.reduce(op, x, axis, false)), 1e-4, 1e-4);
                }
            }
            TestData.close("sumTo", R.sumTo(x, new int[] {n, 1}), host(cb.sumTo(x, new int[] {n, 1})), 1e-4, 1e-4);
            // double accumulation on both sides
            assertEquals(R.sumAll(x), cb.sumAll(x), 1e-9 * Math.max(1, Math.abs(R.sumAll(x))) + 1e-9);
            assertEquals(R.sumSquares(x.mT()), cb.sumSquares(x.mT()), 1e-9 * R.sumSquares(x));
        }
    }

    @Test
    void softmaxAndNorms() {
        long seed = 40;
        for (int n : SIZES) {
            Tensor x = R.scalar(Ops.Scalar.MUL, TestData.randn(seed++, 2, 7, n), 3f), g = TestData.randn(seed++, 2, 7, n);
            Tensor w = TestData.randn(seed++, n), b = TestData.randn(seed++, n);
            Tensor y = R.softmax(x);
            TestData.close("softmax", y, host(cb.softmax(x)), 1e-7, 1e-5);
            TestData.close("softmax bwd", R.softmaxBackward(y, g), host(cb.softmaxBackward(y, g)), 1e-6, 1e-4);
            Backend.NormResult ln = R.layerNorm(x, w, b, 1e-5f), lg = cb.layerNorm(x, w, b, 1e-5f);
            TestData.close("layerNorm", ln.out(), host(lg.out()), 1e-5, 1e-4);
            TestData.close("layerNorm rstd", ln.rstd(), host(lg.rstd()), 1e-6, 1e-4);
            Backend.NormGrads lr = R.layerNormBackward(x, w, ln.mean(), ln.rstd(), g, true);
            Backend.NormGrads lgr = cb.layerNormBackward(x, w, ln.mean(), ln.rstd(), g, true);
            TestData.close("layerNorm dx", lr.dx(), host(lgr.dx()), 1e-4, 1e-3);
            TestData.close("layerNorm dw", lr.dweight(), host(lgr.dweight()), 1e-4, 1e-4);
            TestData.close("layerNorm db", lr.dbias(), host(lgr.dbias()), 1e-4, 1e-4);
            Backend.NormResult rm = R.rmsNorm(x, w, 1e-6f), rg = cb.rmsNorm(x, w, 1e-6f);
            TestData.close("rmsNorm", rm.out(), host(rg.out()), 1e-5, 1e-4);
            Backend.NormGrads rr = R.rmsNormBackward(x, w, rm.rstd(), g), rgr = cb.rmsNormBackward(x, w, rm.rstd(), g);
            TestData.close("rmsNorm dx", rr.dx(), host(rgr.dx()), 1e-4, 1e-3);
            TestData.close("rmsNorm dw", rr.dweight(), host(rgr.dweight()), 1e-4, 1e-4);
            // BF16 storage: oracle on the same rounded inputs
            Tensor xb = Backends.cpu().convert(x, DType.BF16);
            TestData.close("softmax bf16", R.softmax(Backends.cpu().convert(xb, DType.F32)), host(cb.convert(cb.softmax(cb.toDevice(xb)), DType.F32)), 2e-2, 2e-2);
        }
    }

    /** map_offset's 32-bit fast divmod on many-dim odd views: permuted 8-dim, narrowed, broadcast operands. */
    @Test
    void stridedAndBroadcastViewsOfOddShapes() {
        Tensor base = TestData.randn(90, 3, 5, 7, 2, 3, 5, 2, 3);
        Tensor perm = base.permute(7, 5, 3, 1, 6, 4, 2, 0);                              // no dims merge
        Tensor bc = TestData.randn(91, 3, 1, 2, 1, 2, 1, 7, 1);                          // broadcast in 4 dims
        Tensor narrow = TestData.randn(92, 33, 1001).narrow(1, 17, 977).transpose(0, 1); // odd strides and offset
        Tensor col = TestData.randn(93, 977, 1);
        // one float op per element on identical inputs: bit-exact but for division rounding (rtol 2e-6 as above)
        TestData.close("binary permuted+broadcast", R.binary(Ops.Binary.MUL, perm, bc), host(cb.binary(Ops.Binary.MUL, perm, bc)), 1e-6, 2e-6);
        TestData.close("binary narrowed", R.binary(Ops.Binary.SUB, narrow, col), host(cb.binary(Ops.Binary.SUB, narrow, col)), 1e-6, 2e-6);
        TestData.close("unary permuted", R.unary(Ops.Unary.NEG, perm), host(cb.unary(Ops.Unary.NEG, perm)), 0, 0);
        TestData.close("copy permuted", perm.contiguous(), host(cb.copy(cb.toDevice(base).permute(7, 5, 3, 1, 6, 4, 2, 0))), 0, 0);
    }

    /** Rows longer than one block (256 threads) with -inf entries: partial rows exact, all -inf rows NaN (torch). */
    @Test
    void softmaxRowsWithMinusInfinity() {
        for (int d : new int[] {255, 257, 300, 1000, 4099}) {
            Tensor x = SoftmaxRowTest.minusInfRows(d);
            // float sums of <= 4099 terms against a double oracle: rtol 1e-5 (as softmaxAndNorms)
            TestData.close("softmax -inf d=" + d, R.softmax(x), host(cb.softmax(x)), 1e-7, 1e-5);
        }
    }

    @Test
    void attentionForwardAndBackward() {
        long seed = 60;
        int[][] shapes = {{1, 1, 1, 1}, {1, 2, 7, 33}, {2, 3, 33, 7}, {1, 2, 1000, 33}, {1, 1, 33, 1000}};
        for (int dh : new int[] {32, 48, 64, 128}) {
            for (int[] s : shapes) {
                int b = s[0], h = s[1], tq = s[2], tk = s[3];
                Tensor q = TestData.randn(seed++, b, tq, h, dh).permute(0, 2, 1, 3);       // strided [B,H,T,dh] view
                Tensor k = TestData.randn(seed++, b, h, tk, dh), v = TestData.randn(seed++, b, h, tk, dh);
                float scale = (float) (1 / Math.sqrt(dh));
                Backend.AttentionResult ref = R.attention(q, k, v, scale), got = cb.attention(q, k, v, scale);
                String at = "attention dh=" + dh + " " + java.util.Arrays.toString(s);
                // online softmax in float over up to 1000 keys, dot products of dh terms
                TestData.close(at + " out", ref.out(), host(got.out()), 2e-5, 1e-4);
                TestData.close(at + " lse", ref.lse(), host(got.lse()), 2e-5, 1e-5);
                Tensor g = TestData.randn(seed++, b, h, tq, dh);
                Backend.AttentionGrads rg = R.attentionBackward(q, k, v, ref.out(), ref.lse(), g, scale);
                Backend.AttentionGrads gg = cb.attentionBackward(q, k, v, got.out(), got.lse(), g, scale);
                TestData.close(at + " dq", rg.dq(), host(gg.dq()), 1e-4, 1e-3);
                TestData.close(at + " dk", rg.dk(), host(gg.dk()), 1e-4, 1e-3);
                TestData.close(at + " dv", rg.dv(), host(gg.dv()), 1e-4, 1e-3);
                if (dh == 64) {
                    Tensor qb = Backends.cpu().convert(q, DType.BF16), kb = Backends.cpu().convert(k, DType.BF16), vb = Backends.cpu().convert(v, DType.BF16);
                    Backend.AttentionResult rb = R.attention(f32(qb), f32(kb), f32(vb), scale);
                    Backend.AttentionResult gb = cb.attention(cb.toDevice(qb), cb.toDevice(kb), cb.toDevice(vb), scale);
                    TestData.close(at + " bf16 out", rb.out(), host(cb.convert(gb.out(), DType.F32)), 2e-2, 2e-2);
                }
            }
        }
    }

    static Tensor f32(Tensor t) { return Backends.cpu().convert(t, DType.F32); }

    static double maxAbs(Tensor t) {
        double m = 0;
        for (float x : t.toFloatArray()) m = Math.max(m, Math.abs(x));
        return m;
    }

    /** Tolerance of a tensor-core result: atol = frac * max|ref| (plus rtol frac), see the test's comment. */
    static void closeTc(String what, Tensor ref, Tensor got, double frac) {
        TestData.close(what, ref, got, frac * Math.max(maxAbs(ref), 1e-3), frac);
    }

    /**
     * attention_tc.cu (BF16 mma.sync) against the reference on the same BF16-rounded inputs and against the F32-unit
     * kernel (attention.cu, same BF16 inputs), for every head dim it takes and odd Tq/Tk (tails of the 64-row
     * blocks and 32/64-row tiles), strided q. Tolerances: inputs are identical on both sides, so the differences
     * come from rounding P and dS to BF16 before their products (relative 2^-9 each) and the BF16 outputs (2^-9):
     * for sums of up to ~300 such terms the error stays below ~1% of the largest output magnitude (random rounding
     * grows like sqrt(K) * 2^-9 = 3.4% worst case at K = 300, typically a third of that), so atol = 2e-2 * max|ref|
     * and rtol 2e-2 for outputs and gradients; lse (natural log, F32) differs by log(1 + 2^-9) per rounding: 1e-2.
     */
    @Test
    void tensorCoreAttentionAgainstReferenceAndF32Kernel() {
        Assumptions.assumeTrue(cb.gpu().ccMajor() >= 8, "tensor-core attention needs compute capability 8.0");
        long seed = 300;
        int[][] shapes = {{1, 1, 1, 1}, {1, 2, 7, 33}, {2, 3, 65, 7}, {1, 2, 130, 97}, {1, 1, 33, 300}};
        for (int dh : new int[] {16, 32, 48, 64, 128}) {
            for (int[] s : shapes) {
                int b = s[0], h = s[1], tq = s[2], tk = s[3];
                Tensor q = Backends.cpu().convert(TestData.randn(seed++, b, tq, h, dh), DType.BF16).permute(0, 2, 1, 3);
                Tensor k = Backends.cpu().convert(TestData.randn(seed++, b, h, tk, dh), DType.BF16);
                Tensor v = Backends.cpu().convert(TestData.randn(seed++, b, h, tk, dh), DType.BF16);
                Tensor g = Backends.cpu().convert(TestData.randn(seed++, b, h, tq, dh), DType.BF16);
                float scale = (float) (1 / Math.sqrt(dh));
                String at = "tc attention dh=" + dh + " " + java.util.Arrays.toString(s);
                Backend.AttentionResult ref = R.attention(f32(q), f32(k), f32(v), scale);
                Backend.AttentionGrads rg = R.attentionBackward(f32(q), f32(k), f32(v), ref.out(), ref.lse(), f32(g), scale);
                Tensor qd = cb.toDevice(q), kd = cb.toDevice(k), vd = cb.toDevice(v), gd = cb.toDevice(g);
                AttentionTc.setEnabled(true);
                Backend.AttentionResult tc = cb.attention(qd, kd, vd, scale);
                Backend.AttentionGrads tg = cb.attentionBackward(qd, kd, vd, tc.out(), tc.lse(), gd, scale);
                closeTc(at + " out vs reference", ref.out(), host(cb.convert(tc.out(), DType.F32)), 2e-2);
                TestData.close(at + " lse vs reference", ref.lse(), host(tc.lse()), 1e-2, 1e-3);
                closeTc(at + " dq vs reference", rg.dq(), host(cb.convert(tg.dq(), DType.F32)), 2e-2);
                closeTc(at + " dk vs reference", rg.dk(), host(cb.convert(tg.dk(), DType.F32)), 2e-2);
                closeTc(at + " dv vs reference", rg.dv(), host(cb.convert(tg.dv(), DType.F32)), 2e-2);
                if (LaunchGeometry.attentionHeadDimSupported(dh)) {
                    AttentionTc.setEnabled(false);
                    try {
                        Backend.AttentionResult fr = cb.attention(qd, kd, vd, scale);
                        Backend.AttentionGrads fg = cb.attentionBackward(qd, kd, vd, fr.out(), fr.lse(), gd, scale);
                        closeTc(at + " out vs F32 kernel", host(cb.convert(fr.out(), DType.F32)), host(cb.convert(tc.out(), DType.F32)), 2e-2);
                        closeTc(at + " dk vs F32 kernel", host(cb.convert(fg.dk(), DType.F32)), host(cb.convert(tg.dk(), DType.F32)), 2e-2);
                        closeTc(at + " dq vs F32 kernel", host(cb.convert(fg.dq(), DType.F32)), host(cb.convert(tg.dq(), DType.F32)), 2e-2);
                    } finally {
                        AttentionTc.setEnabled(true);
                    }
                }
                // deterministic: no atomics, fixed order
                Backend.AttentionGrads again = cb.attentionBackward(qd, kd, vd, tc.out(), tc.lse(), gd, scale);
                org.junit.jupiter.api.Assertions.assertArrayEquals(host(tg.dk()).toFloatArray(), host(again.dk()).toFloatArray(), at + " dk repeat");
            }
        }
    }

    @Test
    void gemmCublasAndKernelAgreeWithTheReference() {
        long seed = 80;
        CudaBackend kernelOnly = new CudaBackend(cb.gpu(), 0, false);
        for (int[] mnk : new int[][] {{1, 1, 1}, {7, 33, 1000}, {1000, 7, 33}, {33, 1000, 7}}) {
            int m = mnk[0], n = mnk[1], k = mnk[2];
            Tensor a = TestData.randn(seed++, k, m).mT(), bm = TestData.randn(seed++, k, n), c0 = TestData.randn(seed++, m, n);
            Tensor want = R.copy(c0);
            R.gemm(0.5f, a, false, bm, false, 2f, want);
            for (CudaBackend be : new CudaBackend[] {cb, kernelOnly}) {
                Tensor c = be.toDevice(c0);
                be.gemm(0.5f, a, false, bm, false, 2f, c);
                // float accumulation over K <= 1000 products of N(0,1) values
                TestData.close("gemm " + be.gemmEngine() + " " + java.util.Arrays.toString(mnk), want, host(c), 2e-3, 1e-4);
            }
            Tensor ab = TestData.randn(seed++, 3, m, k), bb = TestData.randn(seed++, 3, n, k);
            Tensor wantB = R.matmul(ab, false, bb, true);
            TestData.close("batched gemm", wantB, host(cb.matmul(ab, false, bb, true)), 2e-3, 1e-4);
        }
    }

    @Test
    void embeddingScatterAdamw() {
        long seed = 100;
        for (int n : SIZES) {
            Tensor table = TestData.randn(seed++, 33, n);
            Tensor idx = Tensor.ofLongs(new long[] {0, 32, 5, 5, 1, 0, 7}, 7);
            assertArrayEquals(R.embedding(table, idx).toFloatArray(), host(cb.embedding(table, idx)).toFloatArray());
            Tensor src = TestData.randn(seed++, 7, n);
            // atomics add repeated rows in any order: float rounding of 2-term sums
            TestData.close("scatterAddRows", R.scatterAddRows(src, idx, 33), host(cb.scatterAddRows(src, idx, 33)), 1e-6, 1e-6);
            Tensor p = TestData.randn(seed++, 7, n), g = TestData.randn(seed++, 7, n), m = TestData.randn(seed++, 7, n);
            Tensor v = R.unary(Ops.Unary.ABS, TestData.randn(seed++, 7, n));
            Tensor pd = cb.toDevice(p), gd = cb.toDevice(g), md = cb.toDevice(m), vd = cb.toDevice(v);
            for (int step = 1; step <= 3; step++) {
                R.adamw(p, g, m, v, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, step);
                if (step == 2) cb.adamwMulti(List.of(pd), List.of(gd), List.of(md), List.of(vd), 1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, step);
                else cb.adamw(pd, gd, md, vd, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, step);
            }
            // round-to-nearest intrinsics in the reference's order: bit-identical
            assertArrayEquals(p.toFloatArray(), host(pd).toFloatArray(), "adamw param");
            assertArrayEquals(m.toFloatArray(), host(md).toFloatArray(), "adamw m");
            assertArrayEquals(v.toFloatArray(), host(vd).toFloatArray(), "adamw v");
        }
    }

    @Test
    void fusedAdaLnGatedFlowAndCategoryLinear() {
        long seed = 120;
        for (int[] s : new int[][] {{1, 1, 1}, {3, 7, 33}, {2, 33, 7}, {2, 17, 1000}}) {
            int b = s[0], t = s[1], d = s[2];
            Tensor x = TestData.randn(seed++, b, t, d), mod = TestData.randn(seed++, b, 6 * d), g = TestData.randn(seed++, b, t, d);
            Tensor sc = mod.narrow(1, d, d), sh = mod.narrow(1, 0, d), gate = mod.narrow(1, 2 * d, d);
            Backend.NormResult r = F.adaLn(x, sc, sh, 1e-6f), c = cb.adaLn(x, sc, sh, 1e-6f);
            TestData.close("adaLn", r.out(), host(c.out()), 1e-5, 1e-4);
            Backend.AdaLnGrads rg = F.adaLnBackward(x, sc, r.mean(), r.rstd(), g), cg = cb.adaLnBackward(x, sc, r.mean(), r.rstd(), g);
            TestData.close("adaLn dx", rg.dx(), host(cg.dx()), 1e-4, 1e-3);
            TestData.close("adaLn dscale", rg.dscale(), host(cg.dscale()), 1e-4, 1e-4);
            TestData.close("adaLn dshift", rg.dshift(), host(cg.dshift()), 1e-4, 1e-4);
            Tensor xr = R.copy(x), xc = cb.toDevice(x);
            F.gatedResidualInPlace(xr, g, gate);
            cb.gatedResidualInPlace(xc, g, gate);
            TestData.close("gated", xr, host(xc), 1e-6, 1e-6);
            Backend.GatedGrads gr = F.gatedResidualBackward(x, g, gate), gc = cb.gatedResidualBackward(x, g, gate);
            TestData.close("gated dh", gr.dh(), host(gc.dh()), 1e-6, 1e-6);
            TestData.close("gated dgate", gr.dgate(), host(gc.dgate()), 1e-4, 1e-4);
            Tensor mask = R.scalar(Ops.Scalar.MIN, R.unary(Ops.Unary.RELU, R.scalar(Ops.Scalar.MUL, g, 1e9f)), 1f);
            Tensor has = TestData.uniform(seed++, 0f, 1f, b);
            Backend.FlowLoss fr = F.flowLoss(x, g, mod.narrow(1, 0, d).unsqueeze(1).expand(b, t, d), mask, has, 0.5f);
            Backend.FlowLoss fc = cb.flowLoss(x, g, mod.narrow(1, 0, d).unsqueeze(1).expand(b, t, d), mask, has, 0.5f);
            assertEquals(fr.loss().item(), fc.loss().item(), 1e-5 * Math.max(1, fr.loss().item()), "flow loss");
            TestData.close("flow grad", fr.grad(), host(fc.grad()), 1e-7, 1e-5);
            Tensor w = TestData.randn(seed++, 4, d, 7), bias = TestData.randn(seed++, 4, 7);
            Tensor ids = Tensor.ofLongs(java.util.stream.LongStream.range(0, b).map(i -> (i * 3 + 1) % 4).toArray(), b);
            TestData.close("catLinear", F.categoryLinear(x, w, bias, ids), host(cb.categoryLinear(x, w, bias, ids)), 2e-3, 1e-4);
            Tensor gy = TestData.randn(seed++, b, t, 7);
            Backend.CategoryLinearGrads lr = F.categoryLinearBackward(x, w, ids, gy, true), lc = cb.categoryLinearBackward(x, w, ids, gy, true);
            TestData.close("catLinear dx", lr.dx(), host(lc.dx()), 2e-3, 1e-4);
            TestData.close("catLinear dW", lr.dw(), host(lc.dw()), 2e-3, 1e-4);
            TestData.close("catLinear db", lr.dbias(), host(lc.dbias()), 2e-3, 1e-4);
        }
    }

    @Test
    void graphReplayRepeatsTheCapturedWork() {
        Tensor x = cb.toDevice(TestData.randn(140, 33, 7));
        Tensor acc = cb.zeros(DType.F32, 33, 7);
        try (CudaGraph graph = CudaGraph.capture(cb, () -> cb.addInPlace(acc, x))) {
            for (int i = 0; i < 5; i++) graph.replay();
        }
        TestData.close("graph x5", R.scalar(Ops.Scalar.MUL, host(x), 5f), host(acc), 1e-5, 1e-6);
    }

    @Test
    void deterministicAcrossRuns() {
        Tensor x = TestData.randn(150, 2, 3, 1000, 64), g = TestData.randn(151, 2, 3, 1000, 64);
        Backend.AttentionResult a1 = cb.attention(x, x, x, 0.125f), a2 = cb.attention(x, x, x, 0.125f);
        assertArrayEquals(host(a1.out()).toFloatArray(), host(a2.out()).toFloatArray());
        Backend.AttentionGrads g1 = cb.attentionBackward(x, x, x, a1.out(), a1.lse(), g, 0.125f);
        Backend.AttentionGrads g2 = cb.attentionBackward(x, x, x, a1.out(), a1.lse(), g, 0.125f);
        assertArrayEquals(host(g1.dk()).toFloatArray(), host(g2.dk()).toFloatArray());
        assertEquals(cb.sumSquares(g), cb.sumSquares(g));
    }
}
