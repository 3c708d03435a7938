package org.dust4j.autograd.nn;

import org.dust4j.autograd.F;
import org.dust4j.autograd.Var;
import org.dust4j.tensor.Tensor;

/** A lookup table {@code weight} [num, dim] initialised N(0, 1) (torch.nn.Embedding). */
public final class Embedding extends Module {
    public final int num;
    public final int dim;
    public final Var weight;

    public Embedding(int num, int dim, ParamInit init) {
        if (num <= 0 || dim <= 0) throw new IllegalArgumentException("Embedding: sizes must be positive, got " + num + " x " + dim);
        this.num = num;
        this.dim = dim;
        this.weight = param("weight", init.normal(1f, num, dim));
    }

    /** Rows at integer {@code indices}: the result is indices.shape + [dim]. */
    public Var forward(Tensor indices) {
        return F.embedding(weight, indices);
    }
}
