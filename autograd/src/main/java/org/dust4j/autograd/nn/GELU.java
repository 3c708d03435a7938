package org.dust4j.autograd.nn;

import org.dust4j.autograd.F;
import org.dust4j.autograd.Var;

/**
 * GELU with the tanh approximation. {@code new GELU()} is the bare activation; {@code new GELU(in, out,
 * bias, init)} is diffusers' GELU block, {@code gelu(proj(x))} with a Linear child named {@code proj}.
 */
public final class GELU extends Activation {
    public final Linear proj;

    public GELU() {
        this.proj = null;
    }

    public GELU(int in, int out, boolean bias, ParamInit init) {
        this.proj = register("proj", new Linear(in, out, bias, init));
    }

    @Override
    public Var forward(Var x) {
        return F.gelu(proj == null ? x : proj.forward(x));
    }
}
