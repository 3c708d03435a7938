package org.dust4j.autograd.nn;

import org.dust4j.autograd.F;
import org.dust4j.autograd.Var;

/** RMSNorm over the last axis with a {@code weight} initialised to ones. */
public final class RMSNorm extends Module implements Layer {
    public final int dim;
    public final float eps;
    public final Var weight;

    public RMSNorm(int dim, float eps) {
        if (dim <= 0) throw new IllegalArgumentException("RMSNorm: dim must be positive, got " + dim);
        this.dim = dim;
        this.eps = eps;
        this.weight = param("weight", ParamInit.ones(dim));
    }

    @Override
    public Var forward(Var x) {
        return F.rmsNorm(x, weight, eps);
    }
}
