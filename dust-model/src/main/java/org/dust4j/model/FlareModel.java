package org.dust4j.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.dust4j.autograd.F;
import org.dust4j.autograd.GradMode;
import org.dust4j.autograd.Var;
import org.dust4j.autograd.nn.Module;
import org.dust4j.autograd.nn.ParamInit;
import org.dust4j.tensor.Tensor;

/**
 * The FLARE baseline (dust-spec a.10): the GR00T-N1.5 head with its learnable future tokens, plus an
 * alignment MLP {@code flare_align} (D -> D -> target_token_dim, SiLU) applied to the future-token activations
 * after DiT block {@code align_layer}; the loss adds {@code lambda_align · mean_i (1 - cos(f_i, φ_i))} against the
 * future-observation embedding φ (the same target DUST predicts, as the DUST paper re-implemented FLARE).
 * The GR00T modules keep their names, so the action path is exactly {@link Gr00tModel}; sampling is GR00T's.
 */
public final class FlareModel extends PolicyModel {
    public final FlareConfig cfg;
    public final Gr00tModel head;
    public final Mlp align;

    public FlareModel(FlareConfig c, ParamInit init) {
        this.cfg = c.validate();
        this.head = new Gr00tModel(c.base(), init);
        for (Map.Entry<String, Module> e : head.children().entrySet()) register(e.getKey(), e.getValue());
        this.align = register("flare_align", new Mlp(Mlp.Act.SILU, init, head.D, head.D, c.flare().targetTokenDim()));
    }

    @Override
    public FlareConfig config() { return cfg; }

    @Override
    public Var processVl(Var vl0) { return head.processVl(vl0); }

    @Override
    public InputSpec forwardSpec() { return head.forwardSpec(); }

    @Override
    public InputSpec lossSpec() {
        List<InputSpec.Entry> e = new ArrayList<>(head.lossSpec().entries());
        e.add(InputSpec.f("future", -1, cfg.flare().numTargetTokens(), cfg.flare().targetTokenDim()));
        return new InputSpec("loss", e);
    }

    @Override
    public InputSpec sampleSpec() { return head.sampleSpec(); }

    @Override
    protected Map<String, Var> forwardChecked(Map<String, Tensor> in) { return head.forwardChecked(in); }

    @Override
    protected Map<String, Tensor> sampleChecked(Map<String, Tensor> in, SamplerOptions o) { return head.sampleChecked(in, o); }

    /** GR00T's velocity, also returning the future-token activations after block align_layer: {v, h_future}. */
    Var[] velocityAndFuture(Var vl, Var state, Var aTau, float[] t, Tensor ids) {
        int ta = head.cfg.horizon(), bsz = ids.size(0), m = cfg.flare().numTargetTokens();
        var dit = head.model;
        Var temb = dit.timestepEncoder.forward(t);
        Var act = head.actionEncoder.forward(aTau, t, ids);
        if (head.positionEmbedding != null) act = F.add(act, F.narrow(head.positionEmbedding.weight, 0, 0, ta));
        Var f = F.unsqueeze(head.futureTokens.weight, 0);
        List<Var> copies = new ArrayList<>();
        for (int b = 0; b < bsz; b++) copies.add(f);
        Var h = F.concat(List.of(head.stateEncoder.forward(state, ids), F.concat(copies, 0), act), 1);   // [state; future; action]
        Var future = null;
        int k = 0;
        for (Module blk : dit.transformerBlocks) {
            h = ((BasicTransformerBlock) blk).forward(h, temb, vl);
            if (++k == cfg.flare().alignLayer()) future = F.narrow(h, 1, 1, m);
        }
        int n = h.shape()[1];
        Var[] ss = AdaNorm.chunk(dit.projOut1.forward(F.silu(temb)), 2, head.D);              // (shift, scale)
        Var out = dit.projOut2.forward(AdaNorm.modulate(F.narrow(h, 1, n - ta, ta), 1e-6f, ss[1], ss[0]));
        return new Var[] {head.actionDecoder.forward(out, ids), future};
    }

    /** Flow-matching action loss (as GR00T) + λ·(1 - mean cosine) of aligned future tokens vs the target; lossWm = the alignment term. */
    @Override
    protected Losses lossChecked(Map<String, Tensor> in) {
        Tensor ids = checkIds(in.get("embodiment_id"), cfg.embodiments());
        Tensor has = in.get("has_action");
        float[] tau = actionTaus(in.get("tau_action"), has);
        Tensor a = in.get("actions"), eps = in.get("eps_action");
        Var[] vf = velocityAndFuture(processVl(Var.constant(in.get("vl"))), Var.constant(in.get("state")),
                Var.constant(interpolate(a, eps, tau)), bucketsOf(tau, cfg.buckets()), ids);
        Var lossA = actionLoss(vf[0], a, eps, in.get("action_mask"), has);
        Var lossAlign = alignment(align.forward(vf[1]), in.get("future"));
        Var loss = F.add(lossA, F.mul(lossAlign, cfg.flare().lambdaAlign().floatValue()));
        return new Losses(loss, lossA, lossAlign);
    }

    /** 1 - mean over (sample, token) of cos(pred, target); pred [B,M,Dv] on the tape, target [B,M,Dv] constant. */
    static Var alignment(Var pred, Tensor target) {
        Var tn;
        try (var g = GradMode.noGrad()) {                                                     // the target, normalised per token
            Var t = Var.constant(target);
            tn = F.mul(t, F.rsqrt(F.add(F.sum(F.square(t), 2, true), 1e-12f)));
        }
        Var invNorm = F.rsqrt(F.add(F.sum(F.square(pred), 2, true), 1e-12f));             // [B,M,1]
        Var cos = F.sum(F.mul(F.mul(pred, invNorm), tn), 2, false);                          // [B,M]
        return F.add(F.mul(F.mean(cos), -1f), 1f);
    }
}
