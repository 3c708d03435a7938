package org.dust4j.tensor;

import static org.dust4j.tensor.CpuElementwiseMath.L;
import static org.dust4j.tensor.CpuElementwiseMath.SP;

import jdk.incubator.vector.FloatVector;

/**
 * One-pass CPU kernels for the fused ops of the Backend SPI (the AdaLN modulate lives with LayerNorm in
 * {@link CpuNorm}): the gated residual and the per-category linear. Each gives the same float operations as the
 * SPI's default composition, without its temporaries (the residual) or its copies of the selected weights (the
 * category linear multiplies straight from a view of W[id]).
 */
final class CpuFused {
    private CpuFused() {}

    /** {@code x + gate[b] * h}: the product rounded, then the sum, as the default (multiply, then add). */
    static Tensor gatedResidual(Tensor x, Tensor h, Tensor gate) {
        int[] g = Checks.modulation("gatedResidual", x, gate);
        Checks.requireShape("gatedResidual", "h", h, x.shape());
        Checks.requireF32("gatedResidual", x, h, gate);
        int t = g[1], d = g[2], rows = g[0] * t;
        Tensor xc = x.contiguous(), hc = h.contiguous(), gc = gate.contiguous();
        float[] xa = xc.floatData(), ha = hc.floatData(), ga = gc.floatData(), out = new float[x.numel()];
        int xo = xc.offset(), ho = hc.offset(), go = gc.offset();
        Parallel.forRange(rows, Math.max(1, CpuElementwiseRows.PAR_MIN / Math.max(1, d)), (r0, r1) -> {
            for (int r = r0; r < r1; r++) gatedRow(xa, xo + r * d, ha, ho + r * d, ga, go + r / t * d, out, r * d, d);
        });
        return Tensor.of(out, x.shape());
    }

    private static void gatedRow(float[] x, int xo, float[] h, int ho, float[] g, int go, float[] o, int oo, int d) {
        int i = 0, ub = SP.loopBound(d);
        for (; i < ub; i += L) {
            FloatVector gh = FloatVector.fromArray(SP, g, go + i).mul(FloatVector.fromArray(SP, h, ho + i));
            FloatVector.fromArray(SP, x, xo + i).add(gh).intoArray(o, oo + i);
        }
        for (; i < d; i++) o[oo + i] = x[xo + i] + g[go + i] * h[ho + i];
    }

    /**
     * {@code y[b] = x[b] @ W[id[b]] + bias[id[b]]}: one gemm per sample on the view W[id[b]] (no gathered copy of the
     * weights), the bias row pre-filled and accumulated by the gemm epilogue; inside a {@link GemmPack} scope W[id] stays
     * packed across calls. Ids are checked against the category count before any work.
     */
    static Tensor categoryLinear(Tensor x, Tensor w, Tensor bias, Tensor ids) {
        int[] g = Checks.categoryLinear("categoryLinear", x, w, bias, ids);
        Checks.requireF32("categoryLinear", x, w);
        if (bias != null) Checks.requireF32("categoryLinear", bias);
        int nb = g[0], t = g[1], out = g[3], cats = g[4];
        long[] id = Checks.indices("categoryLinear", ids, cats);
        Tensor y = Tensor.zeros(nb, t, out);
        for (int b = 0; b < nb; b++) {
            Tensor yb = y.select(0, b);
            if (bias != null) CpuElementwise.copyInto(bias.select(0, (int) id[b]), yb);
            CpuGemm.gemm(1f, x.select(0, b), false, w.select(0, (int) id[b]), false, bias != null ? 1f : 0f, yb, true);
        }
        return y;
    }
}
