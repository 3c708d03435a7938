package org.dust4j.tensor;

import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The GEMM inside a {@link GemmPack} scope (right operand packed once, reused) against the oracle and against itself outside. */
class GemmPackTest {

    private static final Backend CPU = Backends.cpu();
    private static final Backend REF = Backends.reference();
    // float32 dot products of length <= 1000 of O(1) terms vs the oracle's double accumulation: ~sqrt(K) * 6e-8 * |x||w|
    private static final double ATOL = 2e-4, RTOL = 1e-4;

    /** x @ W^T (+ bias through beta 1) on odd shapes, called twice in one scope (the second call uses the cached panels). */
    @Test
    void packedOnceGivesTheSameFloatsAsPackingPerCall() {
        // M, N, K (M <= 7: the small-M path, in a scope as outside)
        int[][] shapes = {{17, 33, 7}, {8, 1000, 33}, {81, 256, 1000}, {1, 1, 1}, {300, 40, 17}, {1, 1000, 33}, {7, 33, 300}, {4, 96, 257}};
        long seed = 1;
        for (int[] s : shapes) {
            int m = s[0], n = s[1], k = s[2];
            Tensor x = Check.randn(seed, 1f, m, k), w = Check.randn(seed + 1, 1f, n, k), c0 = Check.randn(seed + 2, 1f, m, n);
            Tensor xs = Check.randnStrided(seed + 3, 1f, m, k);
            Tensor plain = CPU.copy(c0), plainS = Tensor.zeros(m, n);
            CPU.gemm(1f, x, false, w, true, 1f, plain);
            CPU.gemm(0.5f, xs, false, w, true, 0f, plainS);
            try (var p = GemmPack.open()) {
                for (int rep = 0; rep < 2; rep++) {
                    Tensor c = CPU.copy(c0), cs = Tensor.zeros(m, n);
                    CPU.gemm(1f, x, false, w, true, 1f, c);
                    CPU.gemm(0.5f, xs, false, w, true, 0f, cs);
                    String what = "gemm in scope " + java.util.Arrays.toString(s) + " call " + rep;
                    Check.identical(what, plain, c);
                    Check.identical(what + " strided x", plainS, cs);
                    Tensor ref = REF.copy(c0);
                    REF.gemm(1f, x, false, w, true, 1f, ref);
                    Check.close(what + " vs oracle", ref, c, ATOL, RTOL);
                }
            }
            seed += 4;
        }
    }

    /** Outside a scope nothing is kept: a weight written between two calls is read afresh. */
    @Test
    void nothingIsCachedOutsideAScope() {
        Tensor x = Check.randn(7, 1f, 17, 64), w = Check.randn(8, 1f, 96, 64);
        Tensor a = Tensor.zeros(17, 96), b = Tensor.zeros(17, 96);
        try (var p = GemmPack.open()) {
            CPU.gemm(1f, x, false, w, true, 0f, a);
        }
        CPU.fill(w, 0.25f);
        CPU.gemm(1f, x, false, w, true, 0f, b);
        Tensor ref = Tensor.zeros(17, 96);
        REF.gemm(1f, x, false, w, true, 0f, ref);
        Check.close("after the scope", ref, b, ATOL, RTOL);
        boolean differs = false;
        float[] av = a.toFloatArray(), bv = b.toFloatArray();
        for (int i = 0; i < av.length; i++) differs |= av[i] != bv[i];
        assertFalse(!differs, "the weights changed, so the product must change");
    }

    /** x @ W^T in a fresh scope; the panels of W may come from an earlier scope. */
    private static Tensor linear(Tensor x, Tensor w) {
        Tensor c = Tensor.zeros(x.size(0), w.size(0));
        try (var p = GemmPack.open()) {
            CPU.gemm(1f, x, false, w, true, 0f, c);
        }
        return c;
    }

    private static boolean differs(Tensor a, Tensor b) {
        float[] av = a.toFloatArray(), bv = b.toFloatArray();
        for (int i = 0; i < av.length; i++) if (Float.floatToRawIntBits(av[i]) != Float.floatToRawIntBits(bv[i])) return true;
        return false;
    }

    /**
     * Panels outlive the scope: a direct array write (which bypasses the hooks) is not seen by the next scope until
     * {@link GemmPack#invalidate} is called. This is the probe that the cache is really kept across scopes.
     */
    @Test
    void panelsAreKeptAcrossScopesUntilInvalidated() {
        Tensor x = Check.randn(11, 1f, 17, 64), w = Check.randn(12, 1f, 96, 64);
        Tensor first = linear(x, w);
        float[] wd = w.floatData();
        for (int i = 0; i < wd.length; i++) wd[i] *= -0.5f;   // direct write: no hook
        Tensor stale = linear(x, w);
        Check.identical("second scope reuses the first scope's panels", first, stale);
        GemmPack.invalidate(wd);
        Tensor fresh = linear(x, w), ref = Tensor.zeros(17, 96);
        REF.gemm(1f, x, false, w, true, 0f, ref);
        Check.close("after invalidate", ref, fresh, ATOL, RTOL);
        assertFalse(!differs(first, fresh), "the weights changed, so the product must change");
    }

    /** Every in-place write of both CPU backends drops the panels: the next scope sees the new weights. */
    @Test
    void everyInPlaceWriteDropsThePanels() {
        record Writer(String name, java.util.function.BiConsumer<Backend, Tensor> write) {}
        List<Writer> writers = List.of(
                new Writer("copyInto", (be, w) -> be.copyInto(Check.randn(21, 1f, w.shape()), w)),
                new Writer("copyInto of a row", (be, w) -> be.copyInto(Check.randn(22, 3f, 1, w.size(1)), w.narrow(0, 5, 1))),
                new Writer("fill", (be, w) -> be.fill(w, 0.25f)),
                new Writer("addInPlace", (be, w) -> be.addInPlace(w, Check.randn(23, 1f, w.shape()))),
                new Writer("gemm into W", (be, w) -> be.gemm(1f, Check.randn(24, 1f, w.size(0), 3), false,
                        Check.randn(25, 1f, 3, w.size(1)), false, 1f, w)),
                new Writer("adamw", (be, w) -> be.adamw(w, Check.randn(26, 1f, w.shape()), Tensor.zeros(w.shape()),
                        Tensor.zeros(w.shape()), 0.1f, 0.9f, 0.999f, 1e-8f, 0.01f, 1)));
        int[][] shapes = {{17, 96, 64}, {33, 300, 1000}};   // M, N, K (the second runs the parallel packing)
        long seed = 100;
        for (Backend be : List.of(CPU, REF)) {
            for (Writer wr : writers) {
                for (int[] s : shapes) {
                    Tensor x = Check.randn(seed++, 1f, s[0], s[2]), w = Check.randn(seed++, 1f, s[1], s[2]);
                    Tensor before = linear(x, w);
                    Check.identical("cached panels reproduce the product", before, linear(x, w));
                    wr.write().accept(be, w);
                    String what = wr.name() + " on " + be.getClass().getSimpleName() + " " + java.util.Arrays.toString(s);
                    Tensor after = linear(x, w), ref = Tensor.zeros(s[0], s[1]);
                    REF.gemm(1f, x, false, w, true, 0f, ref);
                    Check.close(what, ref, after, ATOL, RTOL);
                    assertFalse(!differs(before, after), what + ": the weights changed, so the product must change");
                }
            }
        }
    }

    /** The per-category linear keeps W[id] (row-major, any category) packed in a scope; a write to W is seen. */
    @Test
    void categoryLinearInAScopeMatchesAndSeesWrites() {
        int cats = 3, k = 33, n = 70;
        for (int t : new int[] {1, 7, 17}) {
            Tensor x = Check.randn(40 + t, 1f, 2, t, k), w = Check.randn(41 + t, 1f, cats, k, n), bias = Check.randn(42, 1f, cats, n);
            Tensor ids = Tensor.ofLongs(new long[] {2, 0}, 2);
            Tensor plain = CPU.categoryLinear(x, w, bias, ids), first;
            try (var p = GemmPack.open()) {
                first = CPU.categoryLinear(x, w, bias, ids);
            }
            Tensor second;
            try (var p = GemmPack.open()) {
                second = CPU.categoryLinear(x, w, bias, ids);
            }
            Check.identical("categoryLinear t=" + t + " in a scope", plain, first);
            Check.identical("categoryLinear t=" + t + " from kept panels", plain, second);
            Check.close("categoryLinear t=" + t + " vs oracle", REF.categoryLinear(x, w, bias, ids), second, ATOL, RTOL);
            CPU.copyInto(Check.randn(43, 1f, 1, k, n), w.narrow(0, 2, 1));   // category 2 only
            Tensor after;
            try (var p = GemmPack.open()) {
                after = CPU.categoryLinear(x, w, bias, ids);
            }
            Check.close("categoryLinear t=" + t + " after copyInto", REF.categoryLinear(x, w, bias, ids), after, ATOL, RTOL);
            assertFalse(!differs(first.select(0, 0), after.select(0, 0)), "category 2 changed, so sample 0's output must change");
        }
    }

    /** Kept panels, serial (small) and split (large) problems: the same floats at 1, 2 and 3 threads. */
    @Test
    void keptPanelsAreBitIdenticalAtAnyThreadCount() {
        int saved = Parallel.threads();
        int[][] shapes = {{17, 256, 256}, {81, 768, 256}, {33, 1000, 300}, {9, 7, 1000}};   // M, N, K: serial, split, split, serial
        try {
            long seed = 300;
            for (int[] s : shapes) {
                Tensor x = Check.randn(seed++, 1f, s[0], s[2]), w = Check.randn(seed++, 1f, s[1], s[2]);
                Tensor first = null;
                for (int threads : new int[] {1, 2, 3}) {
                    Parallel.setThreads(threads);
                    for (int rep = 0; rep < 2; rep++) {   // the second call reads the kept panels
                        Tensor c = linear(x, w);
                        if (first == null) first = c;
                        else Check.identical("threads " + threads + " call " + rep + " " + java.util.Arrays.toString(s), first, c);
                    }
                }
                Tensor ref = Tensor.zeros(s[0], s[1]);
                REF.gemm(1f, x, false, w, true, 0f, ref);
                Check.close("vs oracle " + java.util.Arrays.toString(s), ref, first, ATOL, RTOL);
            }
        } finally {
            Parallel.setThreads(saved);
        }
    }
}
