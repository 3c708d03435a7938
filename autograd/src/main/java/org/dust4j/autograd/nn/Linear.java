package org.dust4j.autograd.nn;

import org.dust4j.autograd.F;
import org.dust4j.autograd.Var;

/** {@code y = x W^T + b} with {@code weight} [out, in] and optional {@code bias} [out] (torch.nn.Linear). */
public final class Linear extends Module implements Layer {
    public final int in;
    public final int out;
    public final Var weight;
    public final Var bias;

    /** Weight and bias drawn from U(-1/sqrt(in), 1/sqrt(in)), weight first. */
    public Linear(int in, int out, boolean bias, ParamInit init) {
        if (in <= 0 || out <= 0) throw new IllegalArgumentException("Linear: sizes must be positive, got in " + in + ", out " + out);
        this.in = in;
        this.out = out;
        this.weight = param("weight", init.linearDefault(in, out, in));
        this.bias = bias ? param("bias", init.linearDefault(in, out)) : null;
    }

    @Override
    public Var forward(Var x) {
        return F.linear(x, weight, bias);
    }
}
