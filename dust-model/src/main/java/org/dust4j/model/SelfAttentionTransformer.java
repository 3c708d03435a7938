package org.dust4j.model;

import org.dust4j.autograd.Var;
import org.dust4j.autograd.nn.Module;
import org.dust4j.autograd.nn.ModuleList;
import org.dust4j.autograd.nn.ParamInit;

/** GR00T's SelfAttentionTransformer: {@code transformer_blocks.{j}} layer_norm BasicTransformerBlocks, no mask. */
public final class SelfAttentionTransformer extends Module {
    public final ModuleList blocks;

    public SelfAttentionTransformer(int layers, int heads, int headDim, float dropout, boolean finalDropout, ParamInit init) {
        this.blocks = register("transformer_blocks", new ModuleList());
        for (int j = 0; j < layers; j++) {
            blocks.add(new BasicTransformerBlock(heads * headDim, heads, headDim, null,
                    BasicTransformerBlock.NormType.LAYER_NORM, dropout, finalDropout, init));
        }
    }

    public Var forward(Var x) {
        for (var m : blocks) x = ((BasicTransformerBlock) m).forward(x, null);
        return x;
    }
}
