package org.dust4j.autograd.nn;

import org.dust4j.autograd.F;
import org.dust4j.autograd.Var;
import org.dust4j.tensor.Shape;

/**
 * Multi-head attention with diffusers' names: {@code to_q}, {@code to_k}, {@code to_v} and
 * {@code to_out} (a ModuleList: 0 Linear, 1 Dropout). Heads are split [B,T,H*dh] -> [B,T,H,dh] ->
 * [B,H,T,dh] by a permute, attended with scale 1/sqrt(dh), and merged back. Inside a {@link ContextCache}
 * scope (no grad) the key/value projections of a repeated cross-attention context are computed once.
 */
public final class Attention extends Module implements Layer {
    public final int queryDim;
    public final int contextDim;
    public final int heads;
    public final int headDim;
    public final float scale;
    public final Linear toQ;
    public final Linear toK;
    public final Linear toV;
    public final ModuleList toOut;

    /** {@code crossDim} null means self-attention (keys and values come from a queryDim input). */
    public Attention(int queryDim, Integer crossDim, int heads, int headDim, boolean qkvBias, boolean outBias,
                     float dropout, ParamInit init) {
        if (queryDim <= 0 || heads <= 0 || headDim <= 0 || (crossDim != null && crossDim <= 0)) {
            throw new IllegalArgumentException("Attention: sizes must be positive, got queryDim " + queryDim + ", crossDim "
                    + crossDim + ", heads " + heads + ", headDim " + headDim);
        }
        this.queryDim = queryDim;
        this.contextDim = crossDim == null ? queryDim : crossDim;
        this.heads = heads;
        this.headDim = headDim;
        this.scale = (float) (1.0 / Math.sqrt(headDim));
        int inner = heads * headDim;
        this.toQ = register("to_q", new Linear(queryDim, inner, qkvBias, init));
        this.toK = register("to_k", new Linear(contextDim, inner, qkvBias, init));
        this.toV = register("to_v", new Linear(contextDim, inner, qkvBias, init));
        Linear proj = new Linear(inner, queryDim, outBias, init);
        this.toOut = register("to_out", new ModuleList(proj, new Dropout(dropout, init.nextSeed())));
    }

    /** x [B,T,queryDim]; context [B,S,contextDim] or null for self-attention. Returns [B,T,queryDim]. */
    public Var forward(Var x, Var context) {
        Var ctx = context == null ? x : context;
        int[] xs = x.shape(), cs = ctx.shape();
        if (xs.length != 3 || cs.length != 3 || xs[0] != cs[0]) {
            throw new IllegalArgumentException("Attention: input " + Shape.str(xs) + " and context " + Shape.str(cs)
                    + " must be [B,T,D] and [B,S,D'] with the same B");
        }
        Var q = splitHeads(toQ.forward(x));
        Var[] kv = context != null ? ContextCache.get(this, context) : null;
        Var k, v;
        if (kv != null) {
            k = kv[0];
            v = kv[1];
        } else {
            k = splitHeads(toK.forward(ctx));
            v = splitHeads(toV.forward(ctx));
            if (context != null) ContextCache.put(this, context, k, v);
        }
        Var o = F.attention(q, k, v, scale);                              // [B,H,T,dh]
        Var merged = F.reshape(F.permute(o, 0, 2, 1, 3), xs[0], xs[1], heads * headDim);
        return toOut.forward(merged);
    }

    /** Self-attention. */
    @Override
    public Var forward(Var x) {
        return forward(x, null);
    }

    private Var splitHeads(Var t) {
        int[] s = t.shape();
        return F.permute(F.reshape(t, s[0], s[1], heads, headDim), 0, 2, 1, 3);
    }
}
