package org.dust4j.model;

import org.dust4j.autograd.F;
import org.dust4j.autograd.Var;
import org.dust4j.autograd.nn.Attention;
import org.dust4j.autograd.nn.Dropout;
import org.dust4j.autograd.nn.FeedForward;
import org.dust4j.autograd.nn.LayerNorm;
import org.dust4j.autograd.nn.Module;
import org.dust4j.autograd.nn.ParamInit;

/**
 * GR00T's BasicTransformerBlock (dust-spec b.2): {@code h += final_dropout(attn1(norm1(h[, temb]), ctx));
 * h += ff(norm3(h))}. Norm type "ada_norm" (DiT, DUST single blocks): norm1 = AdaLayerNorm with a child
 * {@code linear} D -> 2D, (scale, shift) = chunk2 (scale first), LN eps 1e-5 without affine, and norm3 without
 * parameters. Norm type "layer_norm" (VL self-attention): norm1 and norm3 affine LayerNorms, eps 1e-5. No
 * gating, no attention mask. Dropout (train only): attention output, FF inner, and when {@code finalDropout}
 * the attention branch and the FF output.
 */
public final class BasicTransformerBlock extends Module {
    public static final float EPS = 1e-5f;

    /** Which norm1 the block has. */
    public enum NormType { ADA_NORM, LAYER_NORM }

    public final NormType normType;
    public final int dim;
    public final boolean cross;
    public final AdaNorm adaNorm1;
    public final LayerNorm norm1;
    public final Attention attn1;
    public final LayerNorm norm3;
    public final FeedForward ff;
    private final Dropout ffFinal, attnFinal;

    /** {@code crossDim} null: self-attention; else attn1.to_k/to_v read a context of that width. */
    public BasicTransformerBlock(int dim, int heads, int headDim, Integer crossDim, NormType normType, float dropout,
                                 boolean finalDropout, ParamInit init) {
        this.normType = normType;
        this.dim = dim;
        this.cross = crossDim != null;
        if (normType == NormType.ADA_NORM) {
            this.adaNorm1 = register("norm1", new AdaNorm(dim, 2, init));
            this.norm1 = null;
        } else {
            this.adaNorm1 = null;
            this.norm1 = register("norm1", new LayerNorm(dim, EPS, true));
        }
        this.attn1 = register("attn1", new Attention(dim, crossDim, heads, headDim, true, true, dropout, init));
        this.norm3 = register("norm3", new LayerNorm(dim, EPS, normType == NormType.LAYER_NORM));
        this.ff = register("ff", new FeedForward(dim, 4, dropout, true, init));
        this.attnFinal = finalDropout ? register("final_dropout", new Dropout(dropout, init.nextSeed())) : null;
        this.ffFinal = finalDropout ? register("ff_final_dropout", new Dropout(dropout, init.nextSeed())) : null;
    }

    /** layer_norm blocks: h [B,T,D], context [B,S,Dc] or null. */
    public Var forward(Var h, Var context) {
        if (normType != NormType.LAYER_NORM) throw new IllegalStateException("ada_norm block needs a timestep embedding");
        return finish(h, attn1.forward(norm1.forward(h), cross ? context : null));
    }

    /** ada_norm blocks: h [B,T,D], temb [B,D], context [B,S,Dc] (used only when the block cross-attends). */
    public Var forward(Var h, Var temb, Var context) {
        Var[] m = adaNorm1.chunks(temb);                    // (scale, shift)
        return forwardModulated(h, AdaNorm.modulate(h, EPS, m[0], m[1]), context);
    }

    /** ada_norm block given the already modulated norm1 output (single-stream blocks mix two embeddings). */
    Var forwardModulated(Var h, Var normed, Var context) {
        return finish(h, attn1.forward(normed, cross ? requireContext(context) : null));
    }

    private Var requireContext(Var context) {
        if (context == null) throw new IllegalArgumentException("BasicTransformerBlock: cross-attention block needs a context");
        return context;
    }

    private Var finish(Var h, Var a) {
        if (attnFinal != null) a = attnFinal.forward(a);
        h = F.add(h, a);
        Var f = ff.forward(norm3.forward(h));
        if (ffFinal != null) f = ffFinal.forward(f);
        return F.add(h, f);
    }
}
