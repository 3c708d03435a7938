package org.dust4j.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.dust4j.autograd.AdamW;
import org.dust4j.autograd.Var;

/** Flow-matching trainer (AdamW, cosine schedule, clipping, accumulation, checkpoints). */
public final class Trainer {

    /**
     * AdamW groups: weight decay for matrices, category {@code .W} and the embedding tables; none for names
     * ending in {@code .bias}, category-specific biases {@code .b} ([C, out], a bias although 2-D) and every 1-D
     * parameter (LayerNorm weights).
     */
    public static List<AdamW.ParamGroup> paramGroups(PolicyModel m, float weightDecay) {
        List<Var> decay = new ArrayList<>(), none = new ArrayList<>();
        for (Map.Entry<String, Var> e : m.namedParameters().entrySet()) {
            String n = e.getKey();
            boolean skip = n.endsWith(".bias") || n.endsWith(".b") || n.equals("bias") || e.getValue().value().rank() == 1;
            (skip ? none : decay).add(e.getValue());
        }
        return List.of(new AdamW.ParamGroup(decay, weightDecay), new AdamW.ParamGroup(none, 0f));
    }
}
