package org.dust4j.autograd.nn;

import org.dust4j.autograd.F;
import org.dust4j.autograd.Var;

/** max(x, 0). */
public final class ReLU extends Activation {
    @Override
    public Var forward(Var x) {
        return F.relu(x);
    }
}
