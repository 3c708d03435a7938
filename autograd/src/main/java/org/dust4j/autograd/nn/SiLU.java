package org.dust4j.autograd.nn;

import org.dust4j.autograd.F;
import org.dust4j.autograd.Var;

/** x * sigmoid(x). */
public final class SiLU extends Activation {
    @Override
    public Var forward(Var x) {
        return F.silu(x);
    }
}
