package org.dust4j.model;

import java.util.List;
import org.dust4j.autograd.F;
import org.dust4j.autograd.Var;
import org.dust4j.autograd.nn.Module;
import org.dust4j.autograd.nn.ParamInit;
import org.dust4j.tensor.Tensor;

/**
 * GR00T's MultiEmbodimentActionEncoder: {@code a = W1(A)}; {@code e} = the sin-first timestep code of width D
 * broadcast over the action tokens; {@code x = swish(W2(concat[a, e]))}; returns {@code W3(x)}.
 */
public final class ActionEncoder extends Module {
    public final int width;
    public final CategorySpecificLinear W1, W2, W3;

    public ActionEncoder(int categories, int actionDim, int width, ParamInit init) {
        this.width = width;
        this.W1 = register("W1", new CategorySpecificLinear(categories, actionDim, width, init));
        this.W2 = register("W2", new CategorySpecificLinear(categories, 2 * width, width, init));
        this.W3 = register("W3", new CategorySpecificLinear(categories, width, width, init));
    }

    /** actions [B, Ta, Da], t [B] buckets, ids [B] -> [B, Ta, D]. */
    public Var forward(Var actions, float[] t, Tensor ids) {
        int[] s = actions.shape();
        Var a = W1.forward(actions, ids);
        Var e = Var.constant(Sinusoids.actionTimestep(t, s[1], width).to(device()));
        Var x = F.silu(W2.forward(F.concat(List.of(a, e), 2), ids));
        return W3.forward(x, ids);
    }
}
