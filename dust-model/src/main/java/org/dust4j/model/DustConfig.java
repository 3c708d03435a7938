package org.dust4j.model;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * config.json of model_type "dust" (model-contract.md section 2). Every key is optional and takes the
 * contract's default; unknown keys are rejected by {@link ModelConfig#parse}. Call {@link #validate()} for
 * the size constraints (done by {@link ModelConfig#parse}).
 */
@JsonIgnoreProperties(ignoreUnknown = false)
public record DustConfig(
        String modelType,
        String architecture,
        Integer backboneEmbeddingDim,
        Boolean useVlln,
        VlSelfAttention vlSelfAttention,
        Integer numAttentionHeads,
        Integer attentionHeadDim,
        Integer hiddenSize,
        Integer numJointLayers,
        Integer numSingleLayers,
        Integer actionDim,
        Integer actionHorizon,
        Integer maxStateDim,
        Integer maxNumEmbodiments,
        Integer visionTokenDim,
        Integer numVisionTokens,
        Integer maxSeqLen,
        Integer numTimestepBuckets,
        Double noiseBetaAlpha,
        Double noiseBetaBeta,
        Double noiseS,
        Double lambdaWm,
        Boolean decoupledNoise,
        Integer numInferenceTimesteps,
        Double dropout) implements ModelConfig {

    /** The two DUST architectures. */
    public static final String DUAL_STREAM = "dual_stream";
    public static final String SINGLE_STREAM = "single_stream";

    /** The VL self-attention stack (GR00T SelfAttentionTransformer) over the backbone features. */
    @JsonIgnoreProperties(ignoreUnknown = false)
    public record VlSelfAttention(Integer numLayers, Integer numAttentionHeads, Integer attentionHeadDim) {
        public VlSelfAttention {
            numLayers = numLayers == null ? 4 : numLayers;
            numAttentionHeads = numAttentionHeads == null ? 32 : numAttentionHeads;
            attentionHeadDim = attentionHeadDim == null ? 64 : attentionHeadDim;
        }
    }

    /** Fills every absent key with the contract's default. */
    public DustConfig {
        modelType = modelType == null ? "dust" : modelType;
        architecture = architecture == null ? DUAL_STREAM : architecture;
        backboneEmbeddingDim = or(backboneEmbeddingDim, 2048);
        useVlln = useVlln == null ? Boolean.TRUE : useVlln;
        vlSelfAttention = vlSelfAttention == null ? new VlSelfAttention(null, null, null) : vlSelfAttention;
        numAttentionHeads = or(numAttentionHeads, 32);
        attentionHeadDim = or(attentionHeadDim, 48);
        hiddenSize = or(hiddenSize, 1024);
        numJointLayers = or(numJointLayers, 12);
        numSingleLayers = or(numSingleLayers, 4);
        actionDim = or(actionDim, 32);
        actionHorizon = or(actionHorizon, 16);
        maxStateDim = or(maxStateDim, 64);
        maxNumEmbodiments = or(maxNumEmbodiments, 32);
        visionTokenDim = or(visionTokenDim, 1152);
        numVisionTokens = or(numVisionTokens, 64);
        maxSeqLen = or(maxSeqLen, 1024);
        numTimestepBuckets = or(numTimestepBuckets, 1000);
        noiseBetaAlpha = or(noiseBetaAlpha, 1.5);
        noiseBetaBeta = or(noiseBetaBeta, 1.0);
        noiseS = or(noiseS, 0.999);
        lambdaWm = or(lambdaWm, 1.0);
        decoupledNoise = decoupledNoise == null ? Boolean.TRUE : decoupledNoise;
        numInferenceTimesteps = or(numInferenceTimesteps, 4);
        dropout = or(dropout, 0.2);
    }

    /** All defaults (the contract's DUST-on-GR00T sizes). */
    public static DustConfig defaults() {
        return new DustConfig(null, null, null, null, null, null, null, null, null, null, null, null, null, null,
                null, null, null, null, null, null, null, null, null, null, null);
    }

    private static Integer or(Integer v, int d) { return v == null ? d : v; }

    private static Double or(Double v, double d) { return v == null ? d : v; }

    @Override
    public String type() { return "dust"; }

    public boolean singleStream() { return SINGLE_STREAM.equals(architecture); }

    /** Inner width D = heads x head_dim. */
    public int innerDim() { return numAttentionHeads * attentionHeadDim; }

    /** Side of the square vision-token grid. */
    public int visionGrid() { return (int) Math.round(Math.sqrt(numVisionTokens)); }

    @Override
    public int actionDimension() { return actionDim; }

    @Override
    public int horizon() { return actionHorizon; }

    @Override
    public int stateDim() { return maxStateDim; }

    @Override
    public int vlDim() { return backboneEmbeddingDim; }

    @Override
    public int embodiments() { return maxNumEmbodiments; }

    @Override
    public int inferenceSteps() { return numInferenceTimesteps; }

    @Override
    public int buckets() { return numTimestepBuckets; }

    /** Checks every size constraint of contract section 2; throws a one-line {@link ConfigException}. */
    @Override
    public DustConfig validate() {
        if (!"dust".equals(modelType)) throw new ConfigException("config: model_type must be \"dust\" here, got \"" + modelType + "\"");
        if (!DUAL_STREAM.equals(architecture) && !SINGLE_STREAM.equals(architecture)) {
            throw new ConfigException("config: architecture must be \"dual_stream\" or \"single_stream\", got \"" + architecture + "\"");
        }
        positive("backbone_embedding_dim", backboneEmbeddingDim);
        positive("num_attention_heads", numAttentionHeads);
        positive("attention_head_dim", attentionHeadDim);
        positive("hidden_size", hiddenSize);
        ModelConfig.inRange("num_joint_layers", numJointLayers, 0, MAX_LAYERS);
        ModelConfig.inRange("num_single_layers", numSingleLayers, 0, MAX_LAYERS);
        positive("action_dim", actionDim);
        ModelConfig.inRange("action_horizon", actionHorizon, 1, MAX_TOKENS);
        positive("max_state_dim", maxStateDim);
        ModelConfig.inRange("max_num_embodiments", maxNumEmbodiments, 1, MAX_EMBODIMENTS);
        positive("vision_token_dim", visionTokenDim);
        ModelConfig.inRange("num_vision_tokens", numVisionTokens, 1, MAX_TOKENS);
        ModelConfig.inRange("max_seq_len", maxSeqLen, 1, MAX_TOKENS);
        ModelConfig.inRange("num_timestep_buckets", numTimestepBuckets, 1, MAX_BUCKETS);
        ModelConfig.inRange("num_inference_timesteps", numInferenceTimesteps, 1, MAX_INFERENCE_STEPS);
        ModelConfig.inRange("num_attention_heads x attention_head_dim", (long) numAttentionHeads * attentionHeadDim, 1, MAX_WIDTH);
        ModelConfig.inRange("num_vision_tokens x num_attention_heads x attention_head_dim", (long) numVisionTokens * numAttentionHeads * attentionHeadDim,
                1, MAX_POSITION_TABLE);
        ModelConfig.finiteIn("noise_beta_alpha", noiseBetaAlpha, 0, 1e6, true, false);
        ModelConfig.finiteIn("noise_beta_beta", noiseBetaBeta, 0, 1e6, true, false);
        ModelConfig.finiteIn("noise_s", noiseS, 0, 1, true, false);
        ModelConfig.finiteIn("lambda_wm", lambdaWm, 0, 1e6, false, false);
        ModelConfig.finiteIn("dropout", dropout, 0, 1, false, true);
        if (useVlln) {
            ModelConfig.inRange("vl_self_attention.num_layers", vlSelfAttention.numLayers(), 1, MAX_LAYERS);
            positive("vl_self_attention.num_attention_heads", vlSelfAttention.numAttentionHeads());
            positive("vl_self_attention.attention_head_dim", vlSelfAttention.attentionHeadDim());
            long w = (long) vlSelfAttention.numAttentionHeads() * vlSelfAttention.attentionHeadDim();
            if (w != backboneEmbeddingDim) {
                throw new ConfigException("config: vl_self_attention num_attention_heads x attention_head_dim = "
                        + vlSelfAttention.numAttentionHeads() + " x " + vlSelfAttention.attentionHeadDim() + " = " + w
                        + " must equal backbone_embedding_dim " + backboneEmbeddingDim);
            }
        }
        if (innerDim() % 4 != 0) {
            throw new ConfigException("config: inner width num_attention_heads x attention_head_dim = " + numAttentionHeads
                    + " x " + attentionHeadDim + " = " + innerDim() + " must be divisible by 4 (2D sin-cos position code)");
        }
        int g = visionGrid();
        if (g * g != numVisionTokens) {
            throw new ConfigException("config: num_vision_tokens " + numVisionTokens + " must be a perfect square (a g x g grid)");
        }
        if (actionHorizon > maxSeqLen) {
            throw new ConfigException("config: action_horizon " + actionHorizon + " must be <= max_seq_len " + maxSeqLen);
        }
        if (!(noiseBetaAlpha > 0) || !(noiseBetaBeta > 0)) {
            throw new ConfigException("config: noise_beta_alpha and noise_beta_beta must be > 0, got " + noiseBetaAlpha + ", " + noiseBetaBeta);
        }
        if (!(noiseS > 0)) throw new ConfigException("config: noise_s must be > 0, got " + noiseS);
        if (!(lambdaWm >= 0)) throw new ConfigException("config: lambda_wm must be >= 0, got " + lambdaWm);
        if (!(dropout >= 0 && dropout < 1)) throw new ConfigException("config: dropout must be in [0, 1), got " + dropout);
        return this;
    }

    /** A width: in [1, MAX_WIDTH]. */
    static void positive(String key, int v) {
        ModelConfig.inRange(key, v, 1, MAX_WIDTH);
    }

    /** A width that may be 0: in [0, MAX_WIDTH]. */
    static void nonNegative(String key, int v) {
        ModelConfig.inRange(key, v, 0, MAX_WIDTH);
    }
}
