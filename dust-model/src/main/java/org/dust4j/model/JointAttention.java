package org.dust4j.model;

import java.util.List;
import org.dust4j.autograd.F;
import org.dust4j.autograd.Var;
import org.dust4j.autograd.nn.Dropout;
import org.dust4j.autograd.nn.Linear;
import org.dust4j.autograd.nn.Module;
import org.dust4j.autograd.nn.ModuleList;
import org.dust4j.autograd.nn.ParamInit;

/**
 * diffusers' joint attention (JointAttnProcessor2_0) with its names: {@code to_q/to_k/to_v} for the x
 * stream, {@code add_q_proj/add_k_proj/add_v_proj} for the context stream, tokens concatenated as
 * [x ; context], one softmax over all keys (no mask, scale 1/sqrt(head_dim)), split back, then
 * {@code to_out.0} (x, followed by dropout {@code to_out.1}) and {@code to_add_out} (context).
 */
public final class JointAttention extends Module {
    public final int heads, headDim;
    public final Linear toQ, toK, toV, addQ, addK, addV, toAddOut;
    public final ModuleList toOut;
    private final float scale;

    public JointAttention(int dim, int heads, int headDim, float dropout, ParamInit init) {
        this.heads = heads;
        this.headDim = headDim;
        this.scale = (float) (1.0 / Math.sqrt(headDim));
        int inner = heads * headDim;
        this.toQ = register("to_q", new Linear(dim, inner, true, init));
        this.toK = register("to_k", new Linear(dim, inner, true, init));
        this.toV = register("to_v", new Linear(dim, inner, true, init));
        this.addK = register("add_k_proj", new Linear(dim, inner, true, init));
        this.addV = register("add_v_proj", new Linear(dim, inner, true, init));
        this.addQ = register("add_q_proj", new Linear(dim, inner, true, init));
        this.toOut = register("to_out", new ModuleList(new Linear(inner, dim, true, init), new Dropout(dropout, init.nextSeed())));
        this.toAddOut = register("to_add_out", new Linear(inner, dim, true, init));
    }

    /** x [B,Nx,D], c [B,Nc,D] -> {attention output for x [B,Nx,D], for c [B,Nc,D]}. */
    public Var[] forward(Var x, Var c) {
        int nx = x.shape()[1], nc = c.shape()[1], b = x.shape()[0];
        Var q = heads(F.concat(List.of(toQ.forward(x), addQ.forward(c)), 1));
        Var k = heads(F.concat(List.of(toK.forward(x), addK.forward(c)), 1));
        Var v = heads(F.concat(List.of(toV.forward(x), addV.forward(c)), 1));
        Var o = F.attention(q, k, v, scale);                                        // [B,H,Nx+Nc,dh]
        Var merged = F.reshape(F.permute(o, 0, 2, 1, 3), b, nx + nc, heads * headDim);
        Var ox = toOut.forward(F.narrow(merged, 1, 0, nx));
        Var oc = toAddOut.forward(F.narrow(merged, 1, nx, nc));
        return new Var[] {ox, oc};
    }

    private Var heads(Var t) {
        int[] s = t.shape();
        return F.permute(F.reshape(t, s[0], s[1], heads, headDim), 0, 2, 1, 3);
    }
}
