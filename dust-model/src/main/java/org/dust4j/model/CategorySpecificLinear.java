package org.dust4j.model;

import org.dust4j.autograd.F;
import org.dust4j.autograd.Var;
import org.dust4j.autograd.nn.Module;
import org.dust4j.autograd.nn.ParamInit;
import org.dust4j.tensor.Shape;
import org.dust4j.tensor.Tensor;

/**
 * GR00T's CategorySpecificLinear: one weight per category (embodiment), {@code W} [C, in, out] (note: not the
 * nn.Linear [out, in] layout) and {@code b} [C, out]; {@code y[b] = x[b] @ W[id[b]] + b[id[b]]}: the fused
 * {@link F#categoryLinear} (by default a gather of W[id] and one batched matmul; one kernel on CUDA).
 */
public final class CategorySpecificLinear extends Module {
    public final int categories, in, out;
    public final Var W;
    public final Var b;

    /** W ~ 0.02·N(0,1), b = 0 (GR00T's init). */
    public CategorySpecificLinear(int categories, int in, int out, ParamInit init) {
        this.categories = categories;
        this.in = in;
        this.out = out;
        this.W = param("W", init.normal(0.02f, categories, in, out));     // N(0,1)·0.02, the same floats as scaling after
        this.b = param("b", init.zerosOrPlaceholder(categories, out));
    }

    /** x [B, T, in], ids [B] (I64/I32) -> [B, T, out]. */
    public Var forward(Var x, Tensor ids) {
        int[] xs = x.shape();
        if (xs.length != 3 || xs[2] != in || ids.rank() != 1 || ids.size(0) != xs[0]) {
            throw new IllegalArgumentException("CategorySpecificLinear: input " + Shape.str(xs) + " with ids " + Shape.str(ids.shape())
                    + " must be [B,T," + in + "] and [B]");
        }
        return F.categoryLinear(x, W, b, ids);
    }
}
