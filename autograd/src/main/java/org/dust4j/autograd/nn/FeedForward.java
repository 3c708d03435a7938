package org.dust4j.autograd.nn;

import org.dust4j.autograd.Var;

/**
 * diffusers' FeedForward with GELU-tanh: {@code net.0} GELU block (Linear {@code net.0.proj} dim -> mult*dim),
 * {@code net.1} Dropout, {@code net.2} Linear back to dim.
 */
public final class FeedForward extends Module implements Layer {
    public final ModuleList net;

    public FeedForward(int dim, int mult, float dropout, boolean bias, ParamInit init) {
        if (dim <= 0 || mult <= 0) throw new IllegalArgumentException("FeedForward: dim and mult must be positive, got " + dim + ", " + mult);
        int inner = dim * mult;
        GELU act = new GELU(dim, inner, bias, init);
        Dropout drop = new Dropout(dropout, init.nextSeed());
        Linear out = new Linear(inner, dim, bias, init);
        this.net = register("net", new ModuleList(act, drop, out));
    }

    @Override
    public Var forward(Var x) {
        return net.forward(x);
    }
}
