package org.dust4j.model;

import org.dust4j.autograd.F;
import org.dust4j.autograd.Var;
import org.dust4j.autograd.nn.Linear;
import org.dust4j.autograd.nn.Module;
import org.dust4j.autograd.nn.ParamInit;

/**
 * The conditioning half of an adaptive LayerNorm: a child {@code linear} (D -> k·D) applied to SiLU(e).
 * {@link #chunks} returns the k modulation vectors, each [B, D] (column views of one [B, k·D] tensor), which the fused
 * {@link F#adaLn} and {@link F#gatedResidual} broadcast over tokens; the order (shift/scale/gate) is the caller's
 * business, since GR00T and diffusers differ (contract section 4).
 */
public final class AdaNorm extends Module {
    public final int dim, k;
    public final Linear linear;

    public AdaNorm(int dim, int k, ParamInit init) {
        this.dim = dim;
        this.k = k;
        this.linear = register("linear", new Linear(dim, k * dim, true, init));
    }

    /** e [B, D] -> k tensors [B, D]. */
    public Var[] chunks(Var e) {
        return chunk(linear.forward(F.silu(e)), k, dim);
    }

    /** Splits m [B, k·D] into k column views [B, D]. */
    static Var[] chunk(Var m, int k, int dim) {
        Var[] out = new Var[k];
        for (int i = 0; i < k; i++) out[i] = F.narrow(m, 1, i * dim, dim);
        return out;
    }

    /** {@code LN(x, eps)·(1 + scale) + shift} (LayerNorm without affine parameters), x [B,T,D], scale/shift [B,D]: one fused op. */
    public static Var modulate(Var x, float eps, Var scale, Var shift) {
        return F.adaLn(x, scale, shift, eps);
    }
}
