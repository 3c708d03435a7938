package org.dust4j.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Vector API LayerNorm / RMSNorm against the double-accumulating {@link ReferenceBackend}. */
class CpuNormTest {

    private static final Backend REF = Backends.reference();
    private static final Backend CPU = Backends.cpu();

    /** rows x D shapes covering 1, 7, 33, 1000 and a model width (1536), plus a rank-3 input. */
    private static final int[][] SHAPES = {{1, 1}, {7, 33}, {33, 1000}, {3, 1536}, {1000, 7}, {2, 3, 33}, {5}};

    // Float32 row statistics: sums over D <= 1536 terms of O(1) values, relative error ~ sqrt(D) * 6e-8 plus
    // one rounding per op; outputs are O(1..4) so 2e-5 absolute + 2e-5 relative leaves a ~10x margin.
    private static final double ATOL = 2e-5, RTOL = 2e-5;
    // Weight/bias gradients sum over up to 1000 rows of O(1) products in float32 per chunk: error grows ~ rows.
    private static final double GRAD_ATOL = 1e-4, GRAD_RTOL = 1e-4;

    /**
     * N(0.5, 2^2) input: the offset exercises the mean subtraction. Strided inputs are views whose last two axes
     * are stored swapped (so rows are not contiguous).
     */
    private static Tensor input(long seed, boolean strided, int[] shape) {
        Tensor shifted = REF.scalar(Ops.Scalar.ADD, Check.randn(seed, 2f, shape), 0.5f);
        if (!strided || shape.length < 2) return shifted;
        int r = shape.length;
        Tensor view = REF.copy(shifted.transpose(r - 2, r - 1)).transpose(r - 2, r - 1);
        assertTrue(shape[r - 1] == 1 || shape[r - 2] == 1 || !view.isContiguous(), "test input should be a strided view");
        return view;
    }

    @Test
    void layerNormForwardMatchesReference() {
        long seed = 1;
        for (int[] shape : SHAPES) {
            int d = shape[shape.length - 1];
            for (boolean strided : new boolean[] {false, true}) {
                for (int affine = 0; affine < 4; affine++) {
                    Tensor x = input(seed++, strided, shape);
                    Tensor w = (affine & 1) != 0 ? Check.randn(seed++, 1f, d) : null;
                    Tensor b = (affine & 2) != 0 ? Check.randnStrided(seed++, 1f, d) : null;
                    var ref = REF.layerNorm(x, w, b, 1e-5f);
                    var got = CPU.layerNorm(x, w, b, 1e-5f);
                    String what = "layerNorm " + Shape.str(shape) + " strided=" + strided + " affine=" + affine;
                    Check.close(what + " out", ref.out(), got.out(), ATOL, RTOL);
                    Check.close(what + " mean", ref.mean(), got.mean(), ATOL, RTOL);
                    Check.close(what + " rstd", ref.rstd(), got.rstd(), ATOL, RTOL);
                }
            }
        }
    }

    @Test
    void layerNormBackwardMatchesReference() {
        long seed = 100;
        for (int[] shape : SHAPES) {
            int d = shape[shape.length - 1];
            for (boolean strided : new boolean[] {false, true}) {
                for (int affine = 0; affine < 4; affine++) {
                    Tensor x = input(seed++, strided, shape);
                    Tensor w = (affine & 1) != 0 ? Check.randn(seed++, 1f, d) : null;
                    boolean hasBias = (affine & 2) != 0;
                    Tensor g = strided && shape.length >= 2 ? Check.randnStrided(seed++, 1f, shape) : Check.randn(seed++, 1f, shape);
                    var fwd = REF.layerNorm(x, w, null, 1e-5f);
                    var ref = REF.layerNormBackward(x, w, fwd.mean(), fwd.rstd(), g, hasBias);
                    var got = CPU.layerNormBackward(x, w, fwd.mean(), fwd.rstd(), g, hasBias);
                    String what = "layerNorm backward " + Shape.str(shape) + " strided=" + strided + " affine=" + affine;
                    // dx: rstd * (dy - mean(dy) - xhat*mean(dy*xhat)), row sums over D in float32 as the forward
                    Check.close(what + " dx", ref.dx(), got.dx(), 1e-4, 1e-4);
                    if (w == null) assertNull(got.dweight(), what);
                    else Check.close(what + " dweight", ref.dweight(), got.dweight(), GRAD_ATOL, GRAD_RTOL);
                    if (!hasBias) assertNull(got.dbias(), what);
                    else Check.close(what + " dbias", ref.dbias(), got.dbias(), GRAD_ATOL, GRAD_RTOL);
                }
            }
        }
    }

    @Test
    void rmsNormForwardAndBackwardMatchReference() {
        long seed = 200;
        for (int[] shape : SHAPES) {
            int d = shape[shape.length - 1];
            for (boolean strided : new boolean[] {false, true}) {
                for (boolean affine : new boolean[] {false, true}) {
                    Tensor x = input(seed++, strided, shape);
                    Tensor w = affine ? Check.randnStrided(seed++, 1f, d) : null;
                    String what = "rmsNorm " + Shape.str(shape) + " strided=" + strided + " affine=" + affine;
                    var ref = REF.rmsNorm(x, w, 1e-6f);
                    var got = CPU.rmsNorm(x, w, 1e-6f);
                    Check.close(what + " out", ref.out(), got.out(), ATOL, RTOL);
                    Check.close(what + " rstd", ref.rstd(), got.rstd(), ATOL, RTOL);
                    assertNull(got.mean(), what + " mean");
                    Tensor g = Check.randn(seed++, 1f, shape);
                    var rg = REF.rmsNormBackward(x, w, ref.rstd(), g);
                    var gg = CPU.rmsNormBackward(x, w, ref.rstd(), g);
                    Check.close(what + " dx", rg.dx(), gg.dx(), 1e-4, 1e-4);
                    if (w == null) assertNull(gg.dweight(), what);
                    else Check.close(what + " dweight", rg.dweight(), gg.dweight(), GRAD_ATOL, GRAD_RTOL);
                    assertNull(gg.dbias(), what);
                }
            }
        }
    }

    @Test
    void resultsAreBitIdenticalAtAnyThreadCount() {
        int[] shape = {1000, 33};  // 1000 rows: several gradient chunks
        Tensor x = input(300, false, shape);
        Tensor w = Check.randn(301, 1f, 33), b = Check.randn(302, 1f, 33), g = Check.randn(303, 1f, shape);
        int saved = Parallel.threads();
        try {
            Backend.NormResult f1 = null;
            Backend.NormGrads b1 = null, r1 = null;
            for (int threads : new int[] {1, 2, 3}) {
                Parallel.setThreads(threads);
                var f = CPU.layerNorm(x, w, b, 1e-5f);
                var bg = CPU.layerNormBackward(x, w, f.mean(), f.rstd(), g, true);
                var rf = CPU.rmsNorm(x, w, 1e-5f);
                var rg = CPU.rmsNormBackward(x, w, rf.rstd(), g);
                if (f1 == null) {
                    f1 = f;
                    b1 = bg;
                    r1 = rg;
                    continue;
                }
                String t = " threads=" + threads;
                Check.identical("layerNorm out" + t, f1.out(), f.out());
                Check.identical("layerNorm rstd" + t, f1.rstd(), f.rstd());
                Check.identical("layerNorm dx" + t, b1.dx(), bg.dx());
                Check.identical("layerNorm dweight" + t, b1.dweight(), bg.dweight());
                Check.identical("layerNorm dbias" + t, b1.dbias(), bg.dbias());
                Check.identical("rmsNorm dx" + t, r1.dx(), rg.dx());
                Check.identical("rmsNorm dweight" + t, r1.dweight(), rg.dweight());
            }
        } finally {
            Parallel.setThreads(saved);
        }
    }

    @Test
    void badShapesGiveClearErrors() {
        Tensor x = Tensor.zeros(4, 8);
        var e = assertThrows(IllegalArgumentException.class, () -> CPU.layerNorm(x, Tensor.zeros(7), null, 1e-5f));
        assertTrue(e.getMessage().contains("layerNorm") && e.getMessage().contains("[7]") && e.getMessage().contains("[8]"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> CPU.layerNorm(x, null, Tensor.zeros(9), 1e-5f));
        assertTrue(e.getMessage().contains("bias") && e.getMessage().contains("[9]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> CPU.rmsNorm(x, Tensor.zeros(4), 1e-5f));
        assertTrue(e.getMessage().contains("rmsNorm") && e.getMessage().contains("[4]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> CPU.layerNormBackward(x, null, Tensor.zeros(4), Tensor.zeros(4), Tensor.zeros(4, 7), false));
        assertTrue(e.getMessage().contains("gradOut") && e.getMessage().contains("[4, 7]") && e.getMessage().contains("[4, 8]"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> CPU.layerNormBackward(x, null, Tensor.zeros(3), Tensor.zeros(4), Tensor.zeros(4, 8), false));
        assertTrue(e.getMessage().contains("mean") && e.getMessage().contains("[3]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> CPU.rmsNormBackward(x, null, Tensor.zeros(4, 1), Tensor.zeros(4, 8)));
        assertTrue(e.getMessage().contains("rstd") && e.getMessage().contains("[4, 1]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> CPU.layerNorm(Tensor.zeros(DType.BF16, 2, 3), null, null, 1e-5f));
        assertTrue(e.getMessage().contains("F32"), e.getMessage());
    }

    @Test
    void rowShapesOfStatistics() {
        var r = CPU.layerNorm(input(400, false, new int[] {2, 3, 5}), null, null, 1e-5f);
        assertArrayEquals(new int[] {2, 3}, r.mean().shape());
        assertArrayEquals(new int[] {2, 3}, r.rstd().shape());
    }
}
