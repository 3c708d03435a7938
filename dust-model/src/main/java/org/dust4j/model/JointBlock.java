package org.dust4j.model;

import org.dust4j.autograd.F;
import org.dust4j.autograd.Var;
import org.dust4j.autograd.nn.Attention;
import org.dust4j.autograd.nn.FeedForward;
import org.dust4j.autograd.nn.Module;
import org.dust4j.autograd.nn.ParamInit;

/**
 * DUST's MMDiT joint block (contract section 4): the SD3 JointTransformerBlock with a separate AdaLN-Zero
 * per stream (x = action stream conditioned on eA, c = vision stream on eO), joint attention over [x ; c],
 * then per-stream cross-attention to the VL features behind a scale/shift AdaLN ({@code norm_cross},
 * {@code norm_cross_context}), then the gated feed-forwards. All norms are LayerNorm eps 1e-6 without affine.
 */
public final class JointBlock extends Module {
    public static final float EPS = 1e-6f;

    public final AdaNorm norm1, norm1Context, normCross, normCrossContext;
    public final JointAttention attn;
    public final Attention attn2, attn2Context;
    public final FeedForward ff, ffContext;

    public JointBlock(int dim, int heads, int headDim, int vlDim, float dropout, ParamInit init) {
        this.norm1 = register("norm1", new AdaNorm(dim, 6, init));
        this.norm1Context = register("norm1_context", new AdaNorm(dim, 6, init));
        this.attn = register("attn", new JointAttention(dim, heads, headDim, dropout, init));
        this.normCross = register("norm_cross", new AdaNorm(dim, 2, init));
        this.attn2 = register("attn2", new Attention(dim, vlDim, heads, headDim, true, true, dropout, init));
        this.normCrossContext = register("norm_cross_context", new AdaNorm(dim, 2, init));
        this.attn2Context = register("attn2_context", new Attention(dim, vlDim, heads, headDim, true, true, dropout, init));
        this.ff = register("ff", new FeedForward(dim, 4, dropout, true, init));
        this.ffContext = register("ff_context", new FeedForward(dim, 4, dropout, true, init));
    }

    /** x [B,Nx,D], c [B,Nc,D], eA/eO [B,D], vl [B,S,Dvl] -> {x, c}. */
    public Var[] forward(Var x, Var c, Var eA, Var eO, Var vl) {
        Var[] m = norm1.chunks(eA);          // shift_msa, scale_msa, gate_msa, shift_mlp, scale_mlp, gate_mlp
        Var[] n = norm1Context.chunks(eO);
        Var xh = AdaNorm.modulate(x, EPS, m[1], m[0]);
        Var ch = AdaNorm.modulate(c, EPS, n[1], n[0]);
        Var[] o = attn.forward(xh, ch);
        x = F.gatedResidual(x, o[0], m[2]);
        c = F.gatedResidual(c, o[1], n[2]);
        Var[] cx = normCross.chunks(eA);     // scale, shift
        Var[] cc = normCrossContext.chunks(eO);
        x = F.add(x, attn2.forward(AdaNorm.modulate(x, EPS, cx[0], cx[1]), vl));
        c = F.add(c, attn2Context.forward(AdaNorm.modulate(c, EPS, cc[0], cc[1]), vl));
        x = F.gatedResidual(x, ff.forward(AdaNorm.modulate(x, EPS, m[4], m[3])), m[5]);
        c = F.gatedResidual(c, ffContext.forward(AdaNorm.modulate(c, EPS, n[4], n[3])), n[5]);
        return new Var[] {x, c};
    }
}
