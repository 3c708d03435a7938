package org.dust4j.tensor;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** CpuGemm against the double-accumulating ReferenceBackend oracle, plus determinism and error checks. */
class CpuGemmTest {
    private static final Backend REF = Backends.reference();
    private static final Backend CPU = Backends.cpu();

    /**
     * Tolerance for float32 fma accumulation over k terms against a double oracle. With N(0, sa) x N(0, sb)
     * inputs the partial sums grow like sqrt(p)*sa*sb and each fma rounds by <= eps/2 of that, so the
     * accumulated error is about 0.35*k*eps*sa*sb; atol = 2*k*eps*sa*sb*|alpha| leaves a ~6x margin while a
     * wrong term (error ~ sa*sb) still fails for every k used here. rtol 1e-5 covers the final alpha/beta
     * roundings.
     */
    private static void check(String what, Tensor ref, Tensor got, int k, float alpha, float sa, float sb) {
        double eps = Math.ulp(1f);
        double atol = 2.0 * Math.max(1, k) * eps * sa * sb * Math.abs(alpha) + 1e-6;
        Check.close(what, ref, got, atol, 1e-5);
    }

    /** A random operand whose op() has the given logical shape: stored with the last two axes swapped when trans. */
    private static Tensor operand(long seed, boolean trans, boolean strided, int... logical) {
        int n = logical.length;
        int[] stored = logical.clone();
        if (trans) {
            stored[n - 2] = logical[n - 1];
            stored[n - 1] = logical[n - 2];
        }
        return strided ? Check.randnStrided(seed, 1f, stored) : Check.randn(seed, 1f, stored);
    }

    private static void runCase(String tag, int batchA, int batchB, int batchC, int m, int n, int k, boolean ta, boolean tb,
                                float alpha, float beta, boolean strided, long seed) {
        Tensor a = batchA > 0 ? operand(seed, ta, strided, batchA, m, k) : operand(seed, ta, strided, m, k);
        Tensor b = batchB > 0 ? operand(seed + 1, tb, strided, batchB, k, n) : operand(seed + 1, tb, strided, k, n);
        Tensor aArg = a, bArg = b; // stored layouts; the flags make them op(A) [m, k] and op(B) [k, n]
        int[] cShape = batchC > 0 ? new int[] {batchC, m, n} : new int[] {m, n};
        Tensor c0 = beta == 0f ? Tensor.full(Float.NaN, cShape) : Check.randn(seed + 2, 1f, cShape);
        Tensor cRef = REF.copy(c0), cGot = REF.copy(c0);
        REF.gemm(alpha, aArg, ta, bArg, tb, beta, cRef);
        CPU.gemm(alpha, aArg, ta, bArg, tb, beta, cGot);
        String what = tag + " A" + Arrays.toString(aArg.shape()) + (ta ? "^T" : "") + " B" + Arrays.toString(bArg.shape())
                + (tb ? "^T" : "") + " alpha " + alpha + " beta " + beta + (strided ? " strided" : "");
        check(what, cRef, cGot, k, alpha, 1f, 1f);
    }

    @Test
    void oddShapesAllTransposeCombos() {
        int[] sizes = {1, 7, 33, 100};
        long seed = 1;
        for (int m : sizes) for (int n : sizes) for (int k : sizes) {
            for (int t = 0; t < 4; t++) {
                runCase("grid", 0, 0, 0, m, n, k, (t & 1) != 0, (t & 2) != 0, 1f, 0f, false, seed++);
            }
        }
    }

    @Test
    void thousandInEachDimension() {
        long seed = 100;
        int[][] shapes = {{1000, 33, 100}, {7, 1000, 100}, {33, 100, 1000}, {1, 1000, 1000}, {1000, 7, 1}, {100, 1000, 33}};
        for (int[] s : shapes) {
            for (int t = 0; t < 4; t++) {
                runCase("big", 0, 0, 0, s[0], s[1], s[2], (t & 1) != 0, (t & 2) != 0, 1f, 0f, false, seed++);
            }
        }
        // more than 64 micro-tile columns and several K blocks (KC) with a remainder
        runCase("wide", 0, 0, 0, 7, 2081, 2 * CpuGemm.KC + 5, false, true, 1f, 0f, false, seed++);
    }

    @Test
    void alphaBetaVariants() {
        long seed = 200;
        float[][] ab = {{1f, 0f}, {2.5f, 0f}, {1f, 1f}, {-0.5f, 2f}, {0f, 1.5f}, {1.25f, -1f}};
        for (float[] x : ab) {
            runCase("ab", 0, 0, 0, 33, 100, 300, false, false, x[0], x[1], false, seed++);
            runCase("ab", 0, 0, 0, 100, 33, 7, true, true, x[0], x[1], true, seed++);
        }
    }

    @Test
    void betaZeroOverwritesNaN() {
        Tensor a = Check.randn(1, 1f, 7, 33), b = Check.randn(2, 1f, 33, 100);
        Tensor c = Tensor.full(Float.NaN, 7, 100);
        CPU.gemm(1f, a, false, b, false, 0f, c);
        for (float v : c.toFloatArray()) assertTrue(!Float.isNaN(v), "beta 0 must overwrite NaN in C");
        Tensor ref = Tensor.zeros(7, 100);
        REF.gemm(1f, a, false, b, false, 0f, ref);
        check("beta0", ref, c, 33, 1f, 1f, 1f);
    }

    @Test
    void zeroInnerDimensionScalesC() {
        Tensor a = Tensor.zeros(5, 0), b = Tensor.zeros(0, 6);
        Tensor c = Check.randn(3, 1f, 5, 6), ref = REF.copy(c);
        CPU.gemm(1f, a, false, b, false, 0.5f, c);
        REF.gemm(1f, a, false, b, false, 0.5f, ref);
        Check.identical("k=0", ref, c);
        Tensor n = Tensor.full(Float.NaN, 5, 6);
        CPU.gemm(1f, a, false, b, false, 0f, n);
        Check.identical("k=0 beta 0", Tensor.zeros(5, 6), n);
    }

    @Test
    void batchedAndSharedOperands() {
        long seed = 300;
        for (int t = 0; t < 4; t++) {
            boolean ta = (t & 1) != 0, tb = (t & 2) != 0;
            runCase("batched", 3, 3, 3, 33, 100, 65, ta, tb, 1f, 0f, false, seed++);
            runCase("sharedB", 5, 0, 5, 100, 33, 300, ta, tb, 1f, 0.5f, false, seed++);
            runCase("sharedA", 0, 4, 4, 7, 100, 33, ta, tb, 2f, 0f, true, seed++);
            runCase("batch1", 1, 1, 1, 1000, 7, 33, ta, tb, 1f, 0f, true, seed++);
            runCase("manyBatches", 17, 0, 17, 33, 100, 65, ta, tb, 1f, 0f, false, seed++); // whole entries per task
        }
    }

    @Test
    void nonContiguousViews() {
        long seed = 400;
        for (int t = 0; t < 4; t++) {
            boolean ta = (t & 1) != 0, tb = (t & 2) != 0;
            runCase("strided", 0, 0, 0, 100, 33, 1000, ta, tb, 1f, 0f, true, seed++);
            runCase("strided", 2, 2, 2, 33, 100, 7, ta, tb, 1f, 1f, true, seed++);
        }
        // narrowed views of larger tensors (row stride != width, nonzero offset) and a strided C
        Tensor bigA = Check.randn(10, 1f, 120, 90), bigB = Check.randn(11, 1f, 80, 140);
        Tensor a = bigA.narrow(0, 5, 100).narrow(1, 3, 70);   // [100, 70]
        Tensor b = bigB.narrow(0, 2, 70).narrow(1, 9, 101);   // [70, 101]
        Tensor bigC = Check.randn(12, 1f, 110, 150);
        Tensor cRef = REF.copy(bigC), cGot = REF.copy(bigC);
        REF.gemm(1.5f, a, false, b, false, 0.25f, cRef.narrow(0, 4, 100).narrow(1, 7, 101));
        CPU.gemm(1.5f, a, false, b, false, 0.25f, cGot.narrow(0, 4, 100).narrow(1, 7, 101));
        check("narrow", cRef, cGot, 70, 1.5f, 1f, 1f);
        // C itself transposed (column-major output)
        Tensor ct = Tensor.zeros(101, 100).mT(), ctRef = Tensor.zeros(100, 101);
        CPU.gemm(1f, a, false, b, false, 0f, ct);
        REF.gemm(1f, a, false, b, false, 0f, ctRef);
        check("transposed C", ctRef, ct, 70, 1f, 1f, 1f);
    }

    @Test
    void outputAliasingAnInput() {
        Tensor x = Check.randn(20, 1f, 2, 33, 33);
        Tensor ref = REF.copy(x);
        REF.gemm(1f, ref.select(0, 0), false, ref.select(0, 0), true, 1f, ref.select(0, 1));
        CPU.gemm(1f, x.select(0, 0), false, x.select(0, 0), true, 1f, x.select(0, 1));
        check("aliased", ref, x, 33, 1f, 1f, 1f);
    }

    @Test
    void bitIdenticalAtAnyThreadCount() {
        int saved = Parallel.threads();
        int[][] shapes = {{81, 300, 600}, {300, 50, 700}, {1000, 33, 100}, {129, 257, 513}};
        try {
            long seed = 500;
            for (int[] s : shapes) {
                for (int t = 0; t < 4; t++) {
                    boolean ta = (t & 1) != 0, tb = (t & 2) != 0;
                    Tensor a = ta ? Check.randn(seed, 1f, s[2], s[0]) : Check.randn(seed, 1f, s[0], s[2]);
                    Tensor b = tb ? Check.randn(seed + 1, 1f, s[1], s[2]) : Check.randn(seed + 1, 1f, s[2], s[1]);
                    Tensor c0 = Check.randn(seed + 2, 1f, s[0], s[1]);
                    seed += 3;
                    Tensor first = null;
                    for (int threads : new int[] {1, 2, 3}) {
                        Parallel.setThreads(threads);
                        Tensor c = REF.copy(c0);
                        CPU.gemm(0.75f, a, ta, b, tb, 0.5f, c);
                        if (first == null) first = c;
                        else Check.identical("threads " + threads + " vs 1, shape " + Arrays.toString(s) + " t" + t, first, c);
                    }
                }
            }
            // batched, with a shared rank-2 B
            Tensor a = Check.randn(600, 1f, 3, 65, 200), b = Check.randn(601, 1f, 200, 90);
            Tensor first = null;
            for (int threads : new int[] {1, 2, 3}) {
                Parallel.setThreads(threads);
                Tensor c = Tensor.zeros(3, 65, 90);
                CPU.gemm(1f, a, false, b, false, 0f, c);
                if (first == null) first = c;
                else Check.identical("batched threads " + threads, first, c);
            }
        } finally {
            Parallel.setThreads(saved);
        }
    }

    // ---------------------------------------------------------------- small-M x @ W^T path (CpuGemmSmallM)

    /** Runs the small-M kernel directly on rank-2/3 A [.., m, k], W [n, k] or [.., n, k] and C [.., m, n] views. */
    private static void smallM(float alpha, Tensor a, Tensor w, float beta, Tensor c, boolean parallel) {
        int batch = a.rank() == 3 ? a.size(0) : 1, m = a.size(-2), k = a.size(-1), n = w.size(-2);
        assertTrue(a.stride(-1) == 1 && w.stride(-1) == 1, "K-contiguous operands");
        CpuGemmSmallM.gemm(alpha, beta, batch, m, n, k,
                a.floatData(), a.offset(), a.rank() == 3 ? a.stride(0) : 0, a.stride(-2),
                w.floatData(), w.offset(), w.rank() == 3 ? w.stride(0) : 0, w.stride(-2),
                c.floatData(), c.offset(), c.rank() == 3 ? c.stride(0) : 0, c.stride(-2), c.stride(-1), parallel);
    }

    /** The kernel itself (any M, not only the M it is chosen for) against the oracle on odd shapes. */
    @Test
    void smallMKernelOddShapes() {
        int[] ms = {1, 7, 17, 33, 81, 96}, sizes = {1, 7, 33, 256, 1000};
        long seed = 700;
        int i = 0;
        for (int m : ms) for (int n : sizes) for (int k : sizes) {
            float alpha = i % 3 == 2 ? 1.5f : 1f, beta = i % 2 == 0 ? 0f : 0.5f;
            Tensor a = Check.randn(seed++, 1f, m, k), w = Check.randn(seed++, 1f, n, k);
            Tensor c0 = beta == 0f ? Tensor.full(Float.NaN, m, n) : Check.randn(seed++, 1f, m, n);
            Tensor cRef = REF.copy(c0), cGot = REF.copy(c0);
            REF.gemm(alpha, a, false, w, true, beta, cRef);
            smallM(alpha, a, w, beta, cGot, i % 2 == 1);
            check("smallM " + m + "x" + n + "x" + k + " alpha " + alpha + " beta " + beta, cRef, cGot, k, alpha, 1f, 1f);
            i++;
        }
    }

    /** Narrowed (row-strided, offset) A, W and C, and a batched rank-3 A with a shared rank-2 W. */
    @Test
    void smallMStridedAndBatched() {
        Tensor bigA = Check.randn(800, 1f, 100, 300), bigW = Check.randn(801, 1f, 300, 280), bigC = Check.randn(802, 1f, 100, 260);
        for (int m : new int[] {1, 7, 33, 81}) {
            Tensor a = bigA.narrow(0, 3, m).narrow(1, 5, 257), w = bigW.narrow(0, 2, 255).narrow(1, 11, 257);
            Tensor cRef = REF.copy(bigC), cGot = REF.copy(bigC), cCpu = REF.copy(bigC);
            REF.gemm(0.75f, a, false, w, true, 0.25f, cRef.narrow(0, 4, m).narrow(1, 1, 255));
            smallM(0.75f, a, w, 0.25f, cGot.narrow(0, 4, m).narrow(1, 1, 255), true);
            CPU.gemm(0.75f, a, false, w, true, 0.25f, cCpu.narrow(0, 4, m).narrow(1, 1, 255));
            check("smallM narrow m " + m, cRef, cGot, 257, 0.75f, 1f, 1f);
            check("cpu narrow m " + m, cRef, cCpu, 257, 0.75f, 1f, 1f);
        }
        for (int m : new int[] {7, 17}) {
            Tensor a = Check.randn(810 + m, 1f, 3, m, 100), w = Check.randn(811 + m, 1f, 70, 100);
            Tensor cRef = Tensor.full(Float.NaN, 3, m, 70), cGot = Tensor.full(Float.NaN, 3, m, 70), cCpu = Tensor.full(Float.NaN, 3, m, 70);
            REF.gemm(1f, a, false, w, true, 0f, cRef);
            smallM(1f, a, w, 0f, cGot, true);
            CPU.gemm(1f, a, false, w, true, 0f, cCpu);
            check("smallM batched shared W m " + m, cRef, cGot, 100, 1f, 1f, 1f);
            check("cpu batched shared W m " + m, cRef, cCpu, 100, 1f, 1f, 1f);
        }
    }

    /** The small-M kernel and the dispatch to it give bit-identical results at 1, 2 and 3 threads. */
    @Test
    void smallMBitIdenticalAtAnyThreadCount() {
        int saved = Parallel.threads();
        int[][] shapes = {{17, 256, 256}, {81, 1000, 33}, {96, 257, 1000}, {7, 1000, 1000}, {1, 1000, 256}};
        try {
            long seed = 900;
            for (int[] s : shapes) {
                Tensor a = Check.randn(seed++, 1f, s[0], s[2]), w = Check.randn(seed++, 1f, s[1], s[2]);
                Tensor c0 = Check.randn(seed++, 1f, s[0], s[1]);
                Tensor firstK = null, firstC = null;
                for (int threads : new int[] {1, 2, 3}) {
                    Parallel.setThreads(threads);
                    Tensor ck = REF.copy(c0), cc = REF.copy(c0);
                    smallM(0.75f, a, w, 0.5f, ck, true);
                    CPU.gemm(0.75f, a, false, w, true, 0.5f, cc);
                    if (firstK == null) {
                        firstK = ck;
                        firstC = cc;
                    } else {
                        Check.identical("smallM threads " + threads + " " + Arrays.toString(s), firstK, ck);
                        Check.identical("cpu x@W^T threads " + threads + " " + Arrays.toString(s), firstC, cc);
                    }
                }
            }
        } finally {
            Parallel.setThreads(saved);
        }
    }

    @Test
    void badInputsNameTheShapes() {
        Tensor a = Tensor.zeros(4, 5), b = Tensor.zeros(6, 7), c = Tensor.zeros(4, 7);
        var e = assertThrows(IllegalArgumentException.class, () -> CPU.gemm(1f, a, false, b, false, 0f, c));
        assertTrue(e.getMessage().contains("gemm") && e.getMessage().contains("[4, 5]") && e.getMessage().contains("[6, 7]"),
                e.getMessage());
        var e2 = assertThrows(IllegalArgumentException.class,
                () -> CPU.gemm(1f, a, false, Tensor.zeros(5, 7), false, 0f, Tensor.zeros(4, 8)));
        assertTrue(e2.getMessage().contains("C must be [4, 7]") && e2.getMessage().contains("[4, 8]"), e2.getMessage());
        var e3 = assertThrows(IllegalArgumentException.class,
                () -> CPU.gemm(1f, Tensor.zeros(2, 4, 5), false, Tensor.zeros(3, 5, 7), false, 0f, Tensor.zeros(2, 4, 7)));
        assertTrue(e3.getMessage().contains("batch") && e3.getMessage().contains("[3, 5, 7]"), e3.getMessage());
        var e4 = assertThrows(IllegalArgumentException.class,
                () -> CPU.gemm(1f, Tensor.zeros(5), false, Tensor.zeros(5, 7), false, 0f, Tensor.zeros(1, 7)));
        assertTrue(e4.getMessage().contains("rank") && e4.getMessage().contains("[5]"), e4.getMessage());
        var e5 = assertThrows(IllegalArgumentException.class,
                () -> CPU.gemm(1f, Tensor.zeros(DType.BF16, 4, 5), false, Tensor.zeros(5, 7), false, 0f, c));
        assertTrue(e5.getMessage().contains("gemm") && e5.getMessage().contains("F32"), e5.getMessage());
    }
}
