package org.dust4j.model;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * config.json of model_type "gr00t_n1_5", the published GR00T-N1.5 layout (dust-spec b.1): top-level keys
 * plus a nested {@code action_head_cfg} with {@code diffusion_model_cfg} and {@code vl_self_attention_cfg}.
 * Only the action head is built; {@code backbone_cfg} and the other published keys (tune_*, model_dtype, ...)
 * are accepted and ignored. Absent action-head keys take the published N1.5 values;
 * {@code max_num_embodiments} and {@code max_seq_len} default to GR00T's class defaults 32 and 1024.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record Gr00tConfig(
        String modelType,
        List<String> architectures,
        Integer actionHorizon,
        Integer actionDim,
        Integer hiddenSize,
        JsonNode backboneCfg,
        ActionHeadCfg actionHeadCfg) implements ModelConfig {

    /** {@code action_head_cfg}. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record ActionHeadCfg(
            Integer actionDim,
            Integer actionHorizon,
            Boolean addPosEmbed,
            Integer backboneEmbeddingDim,
            Integer hiddenSize,
            Integer inputEmbeddingDim,
            Integer maxActionDim,
            Integer maxStateDim,
            Integer maxNumEmbodiments,
            Integer maxSeqLen,
            Double noiseBetaAlpha,
            Double noiseBetaBeta,
            Double noiseS,
            Integer numTimestepBuckets,
            Integer numInferenceTimesteps,
            Integer numTargetVisionTokens,
            Boolean useVlln,
            DiffusionModelCfg diffusionModelCfg,
            VlSelfAttentionCfg vlSelfAttentionCfg) {
        public ActionHeadCfg {
            actionDim = actionDim == null ? 32 : actionDim;
            actionHorizon = actionHorizon == null ? 16 : actionHorizon;
            addPosEmbed = addPosEmbed == null ? Boolean.TRUE : addPosEmbed;
            backboneEmbeddingDim = backboneEmbeddingDim == null ? 2048 : backboneEmbeddingDim;
            hiddenSize = hiddenSize == null ? 1024 : hiddenSize;
            inputEmbeddingDim = inputEmbeddingDim == null ? 1536 : inputEmbeddingDim;
            maxActionDim = maxActionDim == null ? actionDim : maxActionDim;
            maxStateDim = maxStateDim == null ? 64 : maxStateDim;
            maxNumEmbodiments = maxNumEmbodiments == null ? 32 : maxNumEmbodiments;
            maxSeqLen = maxSeqLen == null ? 1024 : maxSeqLen;
            noiseBetaAlpha = noiseBetaAlpha == null ? 1.5 : noiseBetaAlpha;
            noiseBetaBeta = noiseBetaBeta == null ? 1.0 : noiseBetaBeta;
            noiseS = noiseS == null ? 0.999 : noiseS;
            numTimestepBuckets = numTimestepBuckets == null ? 1000 : numTimestepBuckets;
            numInferenceTimesteps = numInferenceTimesteps == null ? 4 : numInferenceTimesteps;
            numTargetVisionTokens = numTargetVisionTokens == null ? 32 : numTargetVisionTokens;
            useVlln = useVlln == null ? Boolean.TRUE : useVlln;
            diffusionModelCfg = diffusionModelCfg == null
                    ? new DiffusionModelCfg(null, null, null, null, null, null, null, null, null, null) : diffusionModelCfg;
            vlSelfAttentionCfg = vlSelfAttentionCfg == null
                    ? new VlSelfAttentionCfg(null, null, null, null, null, null) : vlSelfAttentionCfg;
        }
    }

    /** {@code diffusion_model_cfg} (the DiT). {@code positional_embeddings} must be null. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record DiffusionModelCfg(
            Integer attentionHeadDim,
            Integer numAttentionHeads,
            Integer numLayers,
            Integer crossAttentionDim,
            Double dropout,
            Boolean finalDropout,
            Boolean interleaveSelfAttention,
            String normType,
            Integer outputDim,
            String positionalEmbeddings) {
        public DiffusionModelCfg {
            attentionHeadDim = attentionHeadDim == null ? 48 : attentionHeadDim;
            numAttentionHeads = numAttentionHeads == null ? 32 : numAttentionHeads;
            numLayers = numLayers == null ? 16 : numLayers;
            crossAttentionDim = crossAttentionDim == null ? 2048 : crossAttentionDim;
            dropout = dropout == null ? 0.2 : dropout;
            finalDropout = finalDropout == null ? Boolean.TRUE : finalDropout;
            interleaveSelfAttention = interleaveSelfAttention == null ? Boolean.TRUE : interleaveSelfAttention;
            normType = normType == null ? "ada_norm" : normType;
            outputDim = outputDim == null ? 1024 : outputDim;
        }
    }

    /** {@code vl_self_attention_cfg}. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record VlSelfAttentionCfg(
            Integer attentionHeadDim,
            Integer numAttentionHeads,
            Integer numLayers,
            Double dropout,
            Boolean finalDropout,
            String positionalEmbeddings) {
        public VlSelfAttentionCfg {
            attentionHeadDim = attentionHeadDim == null ? 64 : attentionHeadDim;
            numAttentionHeads = numAttentionHeads == null ? 32 : numAttentionHeads;
            numLayers = numLayers == null ? 4 : numLayers;
            dropout = dropout == null ? 0.2 : dropout;
            finalDropout = finalDropout == null ? Boolean.TRUE : finalDropout;
        }
    }

    @Override
    public String type() { return "gr00t_n1_5"; }

    public ActionHeadCfg head() { return actionHeadCfg; }

    public DiffusionModelCfg dit() { return actionHeadCfg.diffusionModelCfg(); }

    /** DiT inner width D = heads x head_dim (= input_embedding_dim). */
    public int innerDim() { return dit().numAttentionHeads() * dit().attentionHeadDim(); }

    /** Whether DiT block i cross-attends to the VL features (even blocks when interleaving, else all). */
    public boolean crossAttends(int block) {
        return !dit().interleaveSelfAttention() || block % 2 == 0;
    }

    @Override
    public int actionDimension() { return actionHeadCfg.actionDim(); }

    @Override
    public int horizon() { return actionHeadCfg.actionHorizon(); }

    @Override
    public int stateDim() { return actionHeadCfg.maxStateDim(); }

    @Override
    public int vlDim() { return actionHeadCfg.backboneEmbeddingDim(); }

    @Override
    public int embodiments() { return actionHeadCfg.maxNumEmbodiments(); }

    @Override
    public int inferenceSteps() { return actionHeadCfg.numInferenceTimesteps(); }

    @Override
    public int buckets() { return actionHeadCfg.numTimestepBuckets(); }

    /** Checks the constraints of contract section 2 for gr00t_n1_5; throws a one-line {@link ConfigException}. */
    @Override
    public Gr00tConfig validate() {
        if (!"gr00t_n1_5".equals(modelType)) throw new ConfigException("config: model_type must be \"gr00t_n1_5\" here, got \"" + modelType + "\"");
        if (actionHeadCfg == null) throw new ConfigException("config: gr00t_n1_5 needs an \"action_head_cfg\" object");
        ActionHeadCfg h = actionHeadCfg;
        DiffusionModelCfg d = h.diffusionModelCfg();
        VlSelfAttentionCfg v = h.vlSelfAttentionCfg();
        DustConfig.positive("action_head_cfg.action_dim", h.actionDim());
        ModelConfig.inRange("action_head_cfg.action_horizon", h.actionHorizon(), 1, MAX_TOKENS);
        DustConfig.positive("action_head_cfg.backbone_embedding_dim", h.backboneEmbeddingDim());
        DustConfig.positive("action_head_cfg.hidden_size", h.hiddenSize());
        DustConfig.positive("action_head_cfg.input_embedding_dim", h.inputEmbeddingDim());
        DustConfig.positive("action_head_cfg.max_state_dim", h.maxStateDim());
        ModelConfig.inRange("action_head_cfg.max_num_embodiments", h.maxNumEmbodiments(), 1, MAX_EMBODIMENTS);
        ModelConfig.inRange("action_head_cfg.max_seq_len", h.maxSeqLen(), 1, MAX_TOKENS);
        ModelConfig.inRange("action_head_cfg.num_timestep_buckets", h.numTimestepBuckets(), 1, MAX_BUCKETS);
        ModelConfig.inRange("action_head_cfg.num_inference_timesteps", h.numInferenceTimesteps(), 1, MAX_INFERENCE_STEPS);
        ModelConfig.inRange("action_head_cfg.num_target_vision_tokens", h.numTargetVisionTokens(), 0, MAX_TOKENS);
        DustConfig.positive("diffusion_model_cfg.attention_head_dim", d.attentionHeadDim());
        DustConfig.positive("diffusion_model_cfg.num_attention_heads", d.numAttentionHeads());
        ModelConfig.inRange("diffusion_model_cfg.num_layers", d.numLayers(), 0, MAX_LAYERS);
        DustConfig.positive("action_head_cfg.max_action_dim", h.maxActionDim());
        DustConfig.positive("diffusion_model_cfg.cross_attention_dim", d.crossAttentionDim());
        ModelConfig.inRange("diffusion_model_cfg num_attention_heads x attention_head_dim", (long) d.numAttentionHeads() * d.attentionHeadDim(), 1, MAX_WIDTH);
        ModelConfig.finiteIn("diffusion_model_cfg.dropout", d.dropout(), 0, 1, false, true);
        ModelConfig.finiteIn("vl_self_attention_cfg.dropout", v.dropout(), 0, 1, false, true);
        ModelConfig.finiteIn("action_head_cfg.noise_beta_alpha", h.noiseBetaAlpha(), 0, 1e6, true, false);
        ModelConfig.finiteIn("action_head_cfg.noise_beta_beta", h.noiseBetaBeta(), 0, 1e6, true, false);
        ModelConfig.finiteIn("action_head_cfg.noise_s", h.noiseS(), 0, 1, true, false);
        DustConfig.positive("diffusion_model_cfg.output_dim", d.outputDim());
        if (d.positionalEmbeddings() != null) {
            throw new ConfigException("config: diffusion_model_cfg.positional_embeddings \"" + d.positionalEmbeddings()
                    + "\" is not supported (must be null)");
        }
        if (v.positionalEmbeddings() != null) {
            throw new ConfigException("config: vl_self_attention_cfg.positional_embeddings \"" + v.positionalEmbeddings()
                    + "\" is not supported (must be null)");
        }
        if (!"ada_norm".equals(d.normType())) {
            throw new ConfigException("config: diffusion_model_cfg.norm_type \"" + d.normType() + "\" is not supported (only \"ada_norm\")");
        }
        if (innerDim() != h.inputEmbeddingDim()) {
            throw new ConfigException("config: diffusion_model_cfg num_attention_heads x attention_head_dim = " + d.numAttentionHeads()
                    + " x " + d.attentionHeadDim() + " = " + innerDim() + " must equal input_embedding_dim " + h.inputEmbeddingDim());
        }
        if (!d.outputDim().equals(h.hiddenSize())) {
            throw new ConfigException("config: diffusion_model_cfg.output_dim " + d.outputDim() + " must equal action_head_cfg.hidden_size "
                    + h.hiddenSize());
        }
        if (d.numLayers() > 0 && !d.crossAttentionDim().equals(h.backboneEmbeddingDim())) {
            throw new ConfigException("config: diffusion_model_cfg.cross_attention_dim " + d.crossAttentionDim()
                    + " must equal action_head_cfg.backbone_embedding_dim " + h.backboneEmbeddingDim());
        }
        if (h.useVlln()) {
            ModelConfig.inRange("vl_self_attention_cfg.num_layers", v.numLayers(), 1, MAX_LAYERS);
            DustConfig.positive("vl_self_attention_cfg.num_attention_heads", v.numAttentionHeads());
            DustConfig.positive("vl_self_attention_cfg.attention_head_dim", v.attentionHeadDim());
            long w = (long) v.numAttentionHeads() * v.attentionHeadDim();
            if (w != h.backboneEmbeddingDim()) {
                throw new ConfigException("config: vl_self_attention_cfg num_attention_heads x attention_head_dim = " + w
                        + " must equal backbone_embedding_dim " + h.backboneEmbeddingDim());
            }
        }
        if (h.addPosEmbed() && h.actionHorizon() > h.maxSeqLen()) {
            throw new ConfigException("config: action_horizon " + h.actionHorizon() + " must be <= max_seq_len " + h.maxSeqLen());
        }
        if (!(d.dropout() >= 0 && d.dropout() < 1) || !(v.dropout() >= 0 && v.dropout() < 1)) {
            throw new ConfigException("config: dropout must be in [0, 1), got " + d.dropout() + " / " + v.dropout());
        }
        if (!(h.noiseBetaAlpha() > 0) || !(h.noiseBetaBeta() > 0) || !(h.noiseS() > 0)) {
            throw new ConfigException("config: noise_beta_alpha, noise_beta_beta and noise_s must be > 0");
        }
        return this;
    }
}
