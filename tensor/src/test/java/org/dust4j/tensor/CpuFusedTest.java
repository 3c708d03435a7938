package org.dust4j.tensor;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The CPU fused kernels (AdaLN modulate, gated residual, per-category linear) against the Backend SPI's default
 * composition on the reference backend (the oracle), on odd shapes, strided x and chunk views of the modulation.
 */
class CpuFusedTest {

    private static final Backend REF = Backends.reference();
    private static final Backend CPU = Backends.cpu();
    /** [B, T, D] shapes: 1, 7, 33, 1000 and a model width. */
    private static final int[][] SHAPES = {{1, 1, 1}, {1, 7, 33}, {3, 1, 1000}, {2, 17, 256}, {1, 81, 7}};

    // LayerNorm statistics in float32 over D <= 1000 terms vs the reference's double accumulation (as CpuNormTest),
    // then one multiply-add by O(1) modulation: 3e-5 absolute + 3e-5 relative leaves a ~10x margin.
    private static final double NORM_TOL = 3e-5;
    // float32 dot products of length <= 1000 of O(1) terms (the oracle accumulates in double): ~sqrt(K) * 6e-8 * |x||w|.
    private static final double GEMM_ATOL = 2e-4, GEMM_RTOL = 1e-4;

    /** A [B, D] chunk of a [B, 3D] tensor (rows not contiguous), same values as randn(seed) of [B, D]. */
    private static Tensor chunk(long seed, int b, int d) {
        Tensor wide = Check.randn(seed + 100, 1f, b, 3 * d);
        Tensor c = wide.narrow(1, d, d);
        REF.copyInto(Check.randn(seed, 0.5f, b, d), c);
        return c;
    }

    @Test
    void adaLnMatchesTheComposition() {
        long seed = 1;
        for (int[] s : SHAPES) {
            for (boolean strided : new boolean[] {false, true}) {
                Tensor x = strided ? Check.randnStrided(seed, 2f, s) : Check.randn(seed, 2f, s);
                Tensor sc = chunk(seed + 1, s[0], s[2]), sh = strided ? chunk(seed + 2, s[0], s[2]) : Check.randn(seed + 2, 1f, s[0], s[2]);
                Backend.NormResult ref = REF.adaLn(x, sc, sh, 1e-6f), got = CPU.adaLn(x, sc, sh, 1e-6f);
                String what = "adaLn " + java.util.Arrays.toString(s) + (strided ? " strided" : "");
                Check.close(what + " out", ref.out(), got.out(), NORM_TOL, NORM_TOL);
                Check.close(what + " mean", ref.mean(), got.mean(), NORM_TOL, NORM_TOL);
                Check.close(what + " rstd", ref.rstd(), got.rstd(), NORM_TOL, NORM_TOL);
                seed += 3;
            }
        }
    }

    @Test
    void gatedResidualMatchesTheCompositionExactly() {
        long seed = 50;
        for (int[] s : SHAPES) {
            for (boolean strided : new boolean[] {false, true}) {
                Tensor x = strided ? Check.randnStrided(seed, 1f, s) : Check.randn(seed, 1f, s);
                Tensor h = Check.randnStrided(seed + 1, 1f, s), gate = chunk(seed + 2, s[0], s[2]);
                // the same two roundings (multiply, then add) as the composition: bit-identical to the CPU default
                Tensor composed = CPU.binary(Ops.Binary.ADD, x, CPU.binary(Ops.Binary.MUL, gate.unsqueeze(1), h));
                Tensor got = CPU.gatedResidual(x, h, gate);
                Check.identical("gatedResidual " + java.util.Arrays.toString(s), composed, got);
                Check.close("gatedResidual vs oracle " + java.util.Arrays.toString(s), REF.gatedResidual(x, h, gate), got, 1e-6, 1e-6);
                seed += 3;
            }
        }
    }

    @Test
    void categoryLinearMatchesTheComposition() {
        long seed = 90;
        int[][] shapes = {{1, 1, 1, 1, 1}, {2, 7, 33, 5, 3}, {3, 17, 64, 256, 32}, {1, 81, 1000, 7, 2}};  // B, T, in, out, C
        for (int[] s : shapes) {
            for (boolean withBias : new boolean[] {false, true}) {
                for (boolean strided : new boolean[] {false, true}) {
                    int b = s[0], t = s[1], in = s[2], out = s[3], c = s[4];
                    Tensor x = strided ? Check.randnStrided(seed, 1f, b, t, in) : Check.randn(seed, 1f, b, t, in);
                    Tensor w = Check.randn(seed + 1, 0.1f, c, in, out), bias = withBias ? Check.randn(seed + 2, 1f, c, out) : null;
                    long[] id = new long[b];
                    for (int i = 0; i < b; i++) id[i] = (i * 7L + 3) % c;
                    Tensor ids = seed % 2 == 0 ? Tensor.ofLongs(id, b) : Tensor.ofInts(java.util.Arrays.stream(id).mapToInt(v -> (int) v).toArray(), b);
                    String what = "categoryLinear " + java.util.Arrays.toString(s) + (withBias ? " bias" : "") + (strided ? " strided" : "");
                    Check.close(what, REF.categoryLinear(x, w, bias, ids), CPU.categoryLinear(x, w, bias, ids), GEMM_ATOL, GEMM_RTOL);
                    seed += 3;
                }
            }
        }
    }

    @Test
    void badInputsGiveClearErrors() {
        Tensor x = Tensor.zeros(2, 3, 4), w = Tensor.zeros(3, 4, 5);
        var e = assertThrows(IndexOutOfBoundsException.class, () -> CPU.categoryLinear(x, w, null, Tensor.ofLongs(new long[] {0, 3}, 2)));
        assertTrue(e.getMessage().contains("categoryLinear") && e.getMessage().contains("3"), e.getMessage());
        var e2 = assertThrows(IllegalArgumentException.class, () -> CPU.adaLn(x, Tensor.zeros(2, 5), Tensor.zeros(2, 4), 1e-6f));
        assertTrue(e2.getMessage().contains("adaLn") && e2.getMessage().contains("[2, 5]"), e2.getMessage());
        var e3 = assertThrows(IllegalArgumentException.class, () -> CPU.gatedResidual(x, Tensor.zeros(2, 3, 5), Tensor.zeros(2, 4)));
        assertTrue(e3.getMessage().contains("gatedResidual"), e3.getMessage());
    }
}
