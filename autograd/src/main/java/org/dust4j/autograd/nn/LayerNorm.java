package org.dust4j.autograd.nn;

import org.dust4j.autograd.F;
import org.dust4j.autograd.Var;

/** LayerNorm over the last axis (torch.nn.LayerNorm); {@code weight} (ones) and {@code bias} (zeros) when affine. */
public final class LayerNorm extends Module implements Layer {
    public final int dim;
    public final float eps;
    public final Var weight;
    public final Var bias;

    public LayerNorm(int dim, float eps, boolean affine) {
        if (dim <= 0) throw new IllegalArgumentException("LayerNorm: dim must be positive, got " + dim);
        this.dim = dim;
        this.eps = eps;
        this.weight = affine ? param("weight", ParamInit.ones(dim)) : null;
        this.bias = affine ? param("bias", ParamInit.zeros(dim)) : null;
    }

    @Override
    public Var forward(Var x) {
        return F.layerNorm(x, weight, bias, eps);
    }
}
