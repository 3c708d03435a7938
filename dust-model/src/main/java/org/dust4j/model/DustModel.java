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
 * The DUST action head (model_type "dust"), dual_stream (contract section 4) or single_stream (section 6).
 * Parameter names are the contract's section 3 names without the {@code action_head.} file prefix.
 */
public final class DustModel extends PolicyModel {
    public final DustConfig cfg;
    public final int D;
    public final LayerNorm vlln;
    public final SelfAttentionTransformer vlSelfAttention;
    public final CategorySpecificMLP stateEncoder;
    public final ActionEncoder actionEncoder;
    public final CategorySpecificMLP actionDecoder;
    public final Table positionEmbedding;
    public final Mlp visionEncoder;
    public final Mlp visionDecoder;
    public final Dit model;
    private Tensor visionPos;

    /** The {@code model.*} part: timestep encoder, blocks and the two output AdaLNs + projections. */
    public static final class Dit extends Module {
        public final TimestepEncoder timestepEncoder;
        public final ModuleList jointBlocks, actionBlocks, visionBlocks;   // dual_stream
        public final ModuleList transformerBlocks;                         // single_stream
        public final Linear projOut1, projOut2, projOut1Context, projOut2Context;

        Dit(DustConfig c, ParamInit init) {
            int d = c.innerDim(), h = c.numAttentionHeads(), hd = c.attentionHeadDim(), vl = c.backboneEmbeddingDim();
            float p = c.dropout().floatValue();
            this.timestepEncoder = register("timestep_encoder", new TimestepEncoder(d, init));
            if (c.singleStream()) {
                jointBlocks = actionBlocks = visionBlocks = null;
                transformerBlocks = register("transformer_blocks", new ModuleList());
                int n = c.numJointLayers() + c.numSingleLayers();
                for (int i = 0; i < n; i++) {
                    transformerBlocks.add(new BasicTransformerBlock(d, h, hd, i % 2 == 0 ? vl : null,
                            BasicTransformerBlock.NormType.ADA_NORM, p, true, init));
                }
            } else {
                transformerBlocks = null;
                jointBlocks = register("joint_blocks", new ModuleList());
                for (int i = 0; i < c.numJointLayers(); i++) jointBlocks.add(new JointBlock(d, h, hd, vl, p, init));
                actionBlocks = register("action_blocks", new ModuleList());
                visionBlocks = register("vision_blocks", new ModuleList());
                for (ModuleList list : new ModuleList[] {actionBlocks, visionBlocks}) {
                    for (int k = 0; k < c.numSingleLayers(); k++) {
                        list.add(new BasicTransformerBlock(d, h, hd, (c.numJointLayers() + k) % 2 == 0 ? vl : null,
                                BasicTransformerBlock.NormType.ADA_NORM, p, true, init));
                    }
                }
            }
            this.projOut1 = register("proj_out_1", new Linear(d, 2 * d, true, init));
            this.projOut2 = register("proj_out_2", new Linear(d, c.hiddenSize(), true, init));
            this.projOut1Context = register("proj_out_1_context", new Linear(d, 2 * d, true, init));
            this.projOut2Context = register("proj_out_2_context", new Linear(d, c.hiddenSize(), true, init));
        }
    }

    /** Builds a randomly initialised model (torch-like defaults, see {@link PolicyModel#create}). */
    public DustModel(DustConfig c, ParamInit init) {
        this.cfg = c.validate();
        this.D = c.innerDim();
        int h = c.hiddenSize(), cat = c.maxNumEmbodiments();
        float p = c.dropout().floatValue();
        if (c.useVlln()) {
            vlln = register("vlln", new LayerNorm(c.backboneEmbeddingDim(), 1e-5f, true));
            var v = c.vlSelfAttention();
            vlSelfAttention = register("vl_self_attention",
                    new SelfAttentionTransformer(v.numLayers(), v.numAttentionHeads(), v.attentionHeadDim(), p, true, init));
        } else {
            vlln = null;
            vlSelfAttention = null;
        }
        stateEncoder = register("state_encoder", new CategorySpecificMLP(cat, c.maxStateDim(), h, D, init));
        actionEncoder = register("action_encoder", new ActionEncoder(cat, c.actionDim(), D, init));
        actionDecoder = register("action_decoder", new CategorySpecificMLP(cat, h, h, c.actionDim(), init));
        positionEmbedding = register("position_embedding", new Table(c.maxSeqLen(), D, 0.02f, init));
        visionEncoder = register("vision_encoder", new Mlp(Mlp.Act.SILU, init, c.visionTokenDim(), D, D, D));
        visionDecoder = register("vision_decoder", new Mlp(Mlp.Act.RELU, init, h, h, c.visionTokenDim()));
        model = register("model", new Dit(c, init));
        visionPos = Sinusoids.position2d(c.numVisionTokens(), D);
    }

    @Override
    public DustConfig config() { return cfg; }

    @Override
    public Var processVl(Var vl0) {
        return vlln == null ? vl0 : vlSelfAttention.forward(vlln.forward(vl0));
    }

    /** The two velocity fields; {@code action} is null when it was not asked for. */
    public record Velocity(Var action, Var vision) {}

    /**
     * Forward of contract section 4 (or 6) on processed VL features {@code vl} [B,S,Dvl]: state [B,1,Ds],
     * aTau [B,Ta,Da], oTau [B,To,Dv], buckets tA/tO, ids [B]. With {@code needAction} false the action output
     * head (and, dual_stream, the action-side single blocks) is skipped: the vision output does not depend on them.
     */
    public Velocity velocity(Var vl, Var state, Var aTau, Var oTau, float[] tA, float[] tO, Tensor ids, boolean needAction) {
        int ta = cfg.actionHorizon();
        Var eA = model.timestepEncoder.forward(tA);
        Var eO = model.timestepEncoder.forward(tO);
        Var actionTok = F.add(actionEncoder.forward(aTau, tA, ids), F.narrow(positionEmbedding.weight, 0, 0, ta));
        Var x = F.concat(List.of(stateEncoder.forward(state, ids), actionTok), 1);             // [B,1+Ta,D]
        if (!visionPos.device().equals(device())) visionPos = visionPos.to(device());            // once, after Module.to
        Var c = F.add(visionEncoder.forward(oTau), Var.constant(visionPos));                    // [B,To,D]
        if (cfg.singleStream()) {
            int nA = 1 + ta, nO = cfg.numVisionTokens();
            Var hAll = F.concat(List.of(x, c), 1);
            for (Module m : model.transformerBlocks) {
                BasicTransformerBlock blk = (BasicTransformerBlock) m;
                Var[] ma = blk.adaNorm1.chunks(eA), mo = blk.adaNorm1.chunks(eO);    // (scale, shift)
                // LN is per token, so modulating each stream's slice of h equals slicing LN(h)
                Var normed = F.concat(List.of(AdaNorm.modulate(F.narrow(hAll, 1, 0, nA), BasicTransformerBlock.EPS, ma[0], ma[1]),
                        AdaNorm.modulate(F.narrow(hAll, 1, nA, nO), BasicTransformerBlock.EPS, mo[0], mo[1])), 1);
                hAll = blk.forwardModulated(hAll, normed, vl);
            }
            x = F.narrow(hAll, 1, 0, nA);
            c = F.narrow(hAll, 1, nA, nO);
        } else {
            for (Module m : model.jointBlocks) {
                Var[] xc = ((JointBlock) m).forward(x, c, eA, eO, vl);
                x = xc[0];
                c = xc[1];
            }
            if (needAction) for (Module m : model.actionBlocks) x = ((BasicTransformerBlock) m).forward(x, eA, vl);
            for (Module m : model.visionBlocks) c = ((BasicTransformerBlock) m).forward(c, eO, vl);
        }
        Var vA = null;
        if (needAction) {
            Var[] ss = AdaNorm.chunk(model.projOut1.forward(F.silu(eA)), 2, D);               // (shift, scale)
            Var xa = F.narrow(x, 1, 1, ta);                                                       // per-token head: last Ta tokens
            Var hA = model.projOut2.forward(AdaNorm.modulate(xa, 1e-6f, ss[1], ss[0]));
            vA = actionDecoder.forward(hA, ids);
        }
        Var[] so = AdaNorm.chunk(model.projOut1Context.forward(F.silu(eO)), 2, D);
        Var hO = model.projOut2Context.forward(AdaNorm.modulate(c, 1e-6f, so[1], so[0]));
        return new Velocity(vA, visionDecoder.forward(hO));
    }

    // ------------------------------------------------------------------ contract section 7 operations

    @Override
    public InputSpec forwardSpec() {
        return new InputSpec("forward", List.of(
                InputSpec.f("vl", -1, -2, cfg.backboneEmbeddingDim()),
                InputSpec.f("state", -1, 1, cfg.maxStateDim()),
                InputSpec.f("actions_noisy", -1, cfg.actionHorizon(), cfg.actionDim()),
                InputSpec.f("vision_noisy", -1, cfg.numVisionTokens(), cfg.visionTokenDim()),
                InputSpec.i("t_action", -1), InputSpec.i("t_vision", -1), InputSpec.i("embodiment_id", -1)));
    }

    @Override
    public InputSpec lossSpec() {
        int ta = cfg.actionHorizon(), da = cfg.actionDim(), to = cfg.numVisionTokens(), dv = cfg.visionTokenDim();
        return new InputSpec("loss", List.of(
                InputSpec.f("vl", -1, -2, cfg.backboneEmbeddingDim()),
                InputSpec.f("state", -1, 1, cfg.maxStateDim()),
                InputSpec.i("embodiment_id", -1),
                InputSpec.f("actions", -1, ta, da), InputSpec.f("action_mask", -1, ta, da), InputSpec.f("has_action", -1),
                InputSpec.f("future", -1, to, dv), InputSpec.f("eps_action", -1, ta, da), InputSpec.f("eps_vision", -1, to, dv),
                InputSpec.f("tau_action", -1), InputSpec.f("tau_vision", -1)));
    }

    @Override
    public InputSpec sampleSpec() {
        return new InputSpec("sample", List.of(
                InputSpec.f("vl", -1, -2, cfg.backboneEmbeddingDim()),
                InputSpec.f("state", -1, 1, cfg.maxStateDim()),
                InputSpec.i("embodiment_id", -1),
                InputSpec.f("noise_action", -1, cfg.actionHorizon(), cfg.actionDim()),
                InputSpec.f("noise_vision", -1, cfg.numVisionTokens(), cfg.visionTokenDim())));
    }

    @Override
    protected Map<String, Var> forwardChecked(Map<String, Tensor> in) {
        Tensor ids = checkIds(in.get("embodiment_id"));
        Velocity v = velocity(processVl(Var.constant(in.get("vl"))), Var.constant(in.get("state")),
                Var.constant(in.get("actions_noisy")), Var.constant(in.get("vision_noisy")),
                buckets(in.get("t_action")), buckets(in.get("t_vision")), ids, true);
        return Map.of("v_action", v.action(), "v_vision", v.vision());
    }

    @Override
    protected Losses lossChecked(Map<String, Tensor> in) {
        Tensor ids = checkIds(in.get("embodiment_id"));
        Tensor has = in.get("has_action");
        float[] tauA = actionTaus(in.get("tau_action"), has);          // action-free: pure noise
        float[] tauO = perSample(in.get("tau_vision"));
        Tensor a = in.get("actions"), epsA = in.get("eps_action"), fut = in.get("future"), epsO = in.get("eps_vision");
        Velocity v = velocity(processVl(Var.constant(in.get("vl"))), Var.constant(in.get("state")),
                Var.constant(interpolate(a, epsA, tauA)), Var.constant(interpolate(fut, epsO, tauO)),
                bucketsOf(tauA, cfg.numTimestepBuckets()), bucketsOf(tauO, cfg.numTimestepBuckets()), ids, true);
        Var lossA = actionLoss(v.action(), a, epsA, in.get("action_mask"), has);
        Var lossWm = F.flowLoss(v.vision(), fut, epsO, null, null);                          // mean over B·To·Dv
        Var loss = F.add(lossA, F.mul(lossWm, cfg.lambdaWm().floatValue()));
        return new Losses(loss, lossA, lossWm);
    }

    @Override
    protected Map<String, Tensor> sampleChecked(Map<String, Tensor> in, SamplerOptions o) {
        int nA = o.actionSteps() > 0 ? o.actionSteps() : cfg.numInferenceTimesteps();
        int q = o.q();
        if (nA <= 0 || q <= 0) throw new IllegalArgumentException("sample: action steps and q must be positive, got " + nA + ", " + q);
        int nO = o.visionSteps(nA), buckets = cfg.numTimestepBuckets();
        Tensor ids = checkIds(in.get("embodiment_id"));
        Var vl = processVl(Var.constant(in.get("vl")));
        Var state = Var.constant(in.get("state"));
        int bsz = ids.size(0);
        Tensor a = in.get("noise_action"), obs = in.get("noise_vision");
        int kA = 0;
        for (int j = 0; j < nO; j++) {
            float tO = bucket((double) j / nO, buckets);
            boolean update;
            float tA;
            if (o.variant() == SamplerOptions.Variant.END) {
                update = j % q == q - 1;
                tA = bucket((double) (j / q) / nA, buckets);
            } else {
                update = j % q == 0;
                tA = bucket((double) kA / nA, buckets);
            }
            Velocity v = velocity(vl, state, Var.constant(a), Var.constant(obs), fill(bsz, tA), fill(bsz, tO), ids, update);
            if (update) {
                a = euler(a, v.action().value(), nA);
                kA++;
            }
            obs = euler(obs, v.vision().value(), nO);
        }
        return Map.of("actions", a, "vision", obs);
    }

    /** Every category-specific and output-head index the model reads is checked against C. */
    private Tensor checkIds(Tensor ids) {
        return checkIds(ids, cfg.maxNumEmbodiments());
    }

    static List<String> names(Map<String, ?> m) { return new ArrayList<>(m.keySet()); }
}
