package org.dust4j.tensor;

import static org.junit.jupiter.api.Assertions.assertFalse;

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
        int[][] shapes = {{17, 33, 7}, {8, 1000, 33}, {81, 256, 1000}, {1, 1, 1}, {300, 40, 17}};   // M, N, K
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
}
