package org.dust4j.model;

import org.dust4j.autograd.F;
import org.dust4j.autograd.Var;
import org.dust4j.autograd.nn.Linear;
import org.dust4j.autograd.nn.Module;
import org.dust4j.autograd.nn.ParamInit;

/**
 * A chain of Linears {@code linear_1 .. linear_n} with one activation between them (none after the last):
 * the vision encoder (3 layers, SiLU) and the vision decoder (2 layers, ReLU).
 */
public final class Mlp extends Module {
    /** The activation between layers. */
    public enum Act { SILU, RELU }

    public final Linear[] layers;
    public final Act act;

    /** {@code widths} = input, hidden..., output (n+1 numbers for n layers). */
    public Mlp(Act act, ParamInit init, int... widths) {
        this.act = act;
        this.layers = new Linear[widths.length - 1];
        for (int i = 0; i < layers.length; i++) {
            layers[i] = register("linear_" + (i + 1), new Linear(widths[i], widths[i + 1], true, init));
        }
    }

    public Var forward(Var x) {
        for (int i = 0; i < layers.length; i++) {
            if (i > 0) x = act == Act.SILU ? F.silu(x) : F.relu(x);
            x = layers[i].forward(x);
        }
        return x;
    }
}
