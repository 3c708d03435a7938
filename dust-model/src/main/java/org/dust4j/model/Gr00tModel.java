package org.dust4j.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.dust4j.autograd.F;
import org.dust4j.autograd.Var;
import org.dust4j.autograd.nn.LayerNorm;
import org.dust4j.autograd.nn.Linear;
import org.dust4j.autograd.nn.Module;
import org.dust4j.autograd.nn.ModuleList;
import org.dust4j.autograd.nn.ParamInit;
import org.dust4j.tensor.Tensor;

/**
 * The GR00T-N1.5 flow-matching action head (dust-spec b.2-b.5), the baseline: tokens [state ; future tokens ;
 * action tokens + learned positions] through the DiT (interleaved cross/self-attention BasicTransformerBlocks,
 * ada_norm), final AdaLN (shift first), proj_out_2, action decoder on the last Ta tokens.
 */
public final class Gr00tModel extends PolicyModel {
    public final Gr00tConfig cfg;
    public final int D;
    public final LayerNorm vlln;
    public final SelfAttentionTransformer vlSelfAttention;
    public final CategorySpecificMLP stateEncoder;
    public final ActionEncoder actionEncoder;
    public final CategorySpecificMLP actionDecoder;
    public final Table futureTokens;
    public final Table positionEmbedding;
    public final Dit model;

    /** The DiT ({@code model.*}). */
    public static final class Dit extends Module {
        public final TimestepEncoder timestepEncoder;
        public final ModuleList transformerBlocks;
        public final Linear projOut1, projOut2;

        Dit(Gr00tConfig c, ParamInit init) {
            var d = c.dit();
            int dim = c.innerDim();
            this.timestepEncoder = register("timestep_encoder", new TimestepEncoder(dim, init));
            this.transformerBlocks = register("transformer_blocks", new ModuleList());
            for (int i = 0; i < d.numLayers(); i++) {
                transformerBlocks.add(new BasicTransformerBlock(dim, d.numAttentionHeads(), d.attentionHeadDim(),
                        c.crossAttends(i) ? d.crossAttentionDim() : null, BasicTransformerBlock.NormType.ADA_NORM,
                        d.dropout().floatValue(), d.finalDropout(), init));
            }
            this.projOut1 = register("proj_out_1", new Linear(dim, 2 * dim, true, init));
            this.projOut2 = register("proj_out_2", new Linear(dim, d.outputDim(), true, init));
        }
    }

    public Gr00tModel(Gr00tConfig c, ParamInit init) {
        this.cfg = c.validate();
        var h = c.head();
        this.D = c.innerDim();
        int cat = h.maxNumEmbodiments();
        model = register("model", new Dit(c, init));
        stateEncoder = register("state_encoder", new CategorySpecificMLP(cat, h.maxStateDim(), h.hiddenSize(), D, init));
        actionEncoder = register("action_encoder", new ActionEncoder(cat, h.actionDim(), D, init));
        actionDecoder = register("action_decoder", new CategorySpecificMLP(cat, h.hiddenSize(), h.hiddenSize(), h.actionDim(), init));
        futureTokens = h.numTargetVisionTokens() > 0
                ? register("future_tokens", new Table(h.numTargetVisionTokens(), D, 0.02f, init)) : null;
        if (h.useVlln()) {
            var v = h.vlSelfAttentionCfg();
            vlln = register("vlln", new LayerNorm(h.backboneEmbeddingDim(), 1e-5f, true));
            vlSelfAttention = register("vl_self_attention", new SelfAttentionTransformer(v.numLayers(), v.numAttentionHeads(),
                    v.attentionHeadDim(), v.dropout().floatValue(), v.finalDropout(), init));
        } else {
            vlln = null;
            vlSelfAttention = null;
        }
        positionEmbedding = h.addPosEmbed() ? register("position_embedding", new Table(h.maxSeqLen(), D, 0.02f, init)) : null;
    }

    @Override
    public Gr00tConfig config() { return cfg; }

    @Override
    public Var processVl(Var vl0) {
        return vlln == null ? vl0 : vlSelfAttention.forward(vlln.forward(vl0));
    }

    /** The action velocity [B,Ta,Da] for processed VL features, noisy actions and one bucket per sample. */
    public Var velocity(Var vl, Var state, Var aTau, float[] t, Tensor ids) {
        int ta = cfg.horizon(), bsz = ids.size(0);
        Var temb = model.timestepEncoder.forward(t);
        Var act = actionEncoder.forward(aTau, t, ids);
        if (positionEmbedding != null) act = F.add(act, F.narrow(positionEmbedding.weight, 0, 0, ta));
        List<Var> parts = new ArrayList<>();
        parts.add(stateEncoder.forward(state, ids));
        if (futureTokens != null) {
            Var f = F.unsqueeze(futureTokens.weight, 0);
            List<Var> copies = new ArrayList<>();
            for (int b = 0; b < bsz; b++) copies.add(f);
            parts.add(F.concat(copies, 0));
        }
        parts.add(act);
        Var h = F.concat(parts, 1);
        for (Module m : model.transformerBlocks) h = ((BasicTransformerBlock) m).forward(h, temb, vl);
        int n = h.shape()[1];
        Var[] ss = AdaNorm.chunk(model.projOut1.forward(F.silu(temb)), 2, D);        // (shift, scale)
        Var out = model.projOut2.forward(AdaNorm.modulate(F.narrow(h, 1, n - ta, ta), 1e-6f, ss[1], ss[0]));
        return actionDecoder.forward(out, ids);
    }

    @Override
    public InputSpec forwardSpec() {
        var h = cfg.head();
        return new InputSpec("forward", List.of(
                InputSpec.f("vl", -1, -2, h.backboneEmbeddingDim()),
                InputSpec.f("state", -1, 1, h.maxStateDim()),
                InputSpec.f("actions_noisy", -1, h.actionHorizon(), h.actionDim()),
                InputSpec.i("t_action", -1), InputSpec.i("embodiment_id", -1)));
    }

    @Override
    public InputSpec lossSpec() {
        var h = cfg.head();
        int ta = h.actionHorizon(), da = h.actionDim();
        return new InputSpec("loss", List.of(
                InputSpec.f("vl", -1, -2, h.backboneEmbeddingDim()),
                InputSpec.f("state", -1, 1, h.maxStateDim()),
                InputSpec.i("embodiment_id", -1),
                InputSpec.f("actions", -1, ta, da), InputSpec.f("action_mask", -1, ta, da), InputSpec.opt("has_action", -1),
                InputSpec.f("eps_action", -1, ta, da), InputSpec.f("tau_action", -1)));
    }

    @Override
    public InputSpec sampleSpec() {
        var h = cfg.head();
        return new InputSpec("sample", List.of(
                InputSpec.f("vl", -1, -2, h.backboneEmbeddingDim()),
                InputSpec.f("state", -1, 1, h.maxStateDim()),
                InputSpec.i("embodiment_id", -1),
                InputSpec.f("noise_action", -1, h.actionHorizon(), h.actionDim())));
    }

    @Override
    protected Map<String, Var> forwardChecked(Map<String, Tensor> in) {
        Tensor ids = checkIds(in.get("embodiment_id"), cfg.embodiments());
        Var v = velocity(processVl(Var.constant(in.get("vl"))), Var.constant(in.get("state")), Var.constant(in.get("actions_noisy")),
                buckets(in.get("t_action")), ids);
        return Map.of("v_action", v);
    }

    /** GR00T's action loss (b.4) with the contract's bucket rule; has_action (optional) masks whole samples. */
    @Override
    protected Losses lossChecked(Map<String, Tensor> in) {
        Tensor ids = checkIds(in.get("embodiment_id"), cfg.embodiments());
        Tensor has = in.get("has_action");
        float[] tau = actionTaus(in.get("tau_action"), has);
        Tensor a = in.get("actions"), eps = in.get("eps_action");
        Var v = velocity(processVl(Var.constant(in.get("vl"))), Var.constant(in.get("state")), Var.constant(interpolate(a, eps, tau)),
                bucketsOf(tau, cfg.buckets()), ids);
        Var lossA = actionLoss(v, a, eps, in.get("action_mask"), has);
        return new Losses(lossA, lossA, Var.constant(Tensor.zeros().to(device())));
    }

    /** A = noise; for k < N: t = bucket(k/N); A += v(A, t)/N. */
    @Override
    protected Map<String, Tensor> sampleChecked(Map<String, Tensor> in, SamplerOptions o) {
        int n = o.actionSteps() > 0 ? o.actionSteps() : cfg.inferenceSteps();
        Tensor ids = checkIds(in.get("embodiment_id"), cfg.embodiments());
        Var vl = processVl(Var.constant(in.get("vl")));
        Var state = Var.constant(in.get("state"));
        Tensor a = in.get("noise_action");
        for (int k = 0; k < n; k++) {
            float t = bucket((double) k / n, cfg.buckets());
            a = euler(a, velocity(vl, state, Var.constant(a), fill(ids.size(0), t), ids).value(), n);
        }
        return Map.of("actions", a);
    }
}
