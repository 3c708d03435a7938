package org.dust4j.model;

import org.dust4j.autograd.F;
import org.dust4j.autograd.Var;
import org.dust4j.autograd.nn.Linear;
import org.dust4j.autograd.nn.Module;
import org.dust4j.autograd.nn.ParamInit;

/**
 * The conditioning half of an adaptive LayerNorm: a child {@code linear} (D -> k·D) applied to SiLU(e).
 * {@link #chunks} returns the k modulation vectors, each [B, 1, D] so they broadcast over tokens; the order
 * (shift/scale/gate) is the caller's business, since GR00T and diffusers differ (contract section 4).
 */
public final class AdaNorm extends Module {
    public final int dim, k;
    public final Linear linear;

    public AdaNorm(int dim, int k, ParamInit init) {
        this.dim = dim;
        this.k = k;
        this.linear = register("linear", new Linear(dim, k * dim, true, init));
    }

    /** e [B, D] -> k tensors [B, 1, D]. */
    public Var[] chunks(Var e) {
        return chunk(linear.forward(F.silu(e)), k, dim);
    }

    /** Splits m [B, k·D] into k tensors [B, 1, D]. */
    static Var[] chunk(Var m, int k, int dim) {
        Var[] out = new Var[k];
        for (int i = 0; i < k; i++) out[i] = F.unsqueeze(F.narrow(m, 1, i * dim, dim), 1);
        return out;
    }

    /** {@code LN(x, eps)·(1 + scale) + shift} (LayerNorm without affine parameters). */
    public static Var modulate(Var x, float eps, Var scale, Var shift) {
        return modulated(F.layerNorm(x, null, null, eps), scale, shift);
    }

    /** {@code n·(1 + scale) + shift} for an already normalised n. */
    public static Var modulated(Var n, Var scale, Var shift) {
        return F.add(F.mul(n, F.add(scale, 1f)), shift);
    }
}
