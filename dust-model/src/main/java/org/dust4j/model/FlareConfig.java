package org.dust4j.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * config.json of model_type "gr00t_flare": the GR00T-N1.5 head ({@link Gr00tConfig}, same keys) plus a
 * {@code "flare"} object for the FLARE-style future-latent alignment loss (dust-spec a.10):
 * {@code align_layer} L (the future-token activations after DiT block L are aligned; FLARE uses 6 of 8),
 * {@code lambda_align} (FLARE: 0.2), and the target embedding size {@code target_token_dim} x
 * {@code num_target_tokens}. The number of learnable future tokens ({@code num_target_vision_tokens}) must
 * equal {@code num_target_tokens}: future token i is aligned with target token i.
 */
public record FlareConfig(Gr00tConfig base, Flare flare) implements ModelConfig {

    /** The {@code "flare"} object. */
    public record Flare(Integer alignLayer, Double lambdaAlign, Integer targetTokenDim, Integer numTargetTokens) {
        public Flare {
            lambdaAlign = lambdaAlign == null ? 0.2 : lambdaAlign;
        }
    }

    /** Parses a config tree whose model_type is "gr00t_flare". */
    static FlareConfig parse(ObjectNode root) {
        ObjectNode copy = root.deepCopy();
        JsonNode f = copy.remove("flare");
        if (f == null || !f.isObject()) throw new ConfigException("config: gr00t_flare needs a \"flare\" object");
        copy.put("model_type", "gr00t_n1_5");
        Gr00tConfig base = (Gr00tConfig) ModelConfig.parse(copy.toString());
        Flare fl;
        try {
            fl = JSON.treeToValue(f, Flare.class);
        } catch (JsonProcessingException e) {
            throw new ConfigException("config: bad \"flare\" object: " + ModelConfig.firstLine(e.getOriginalMessage()));
        }
        return new FlareConfig(base, fl).validate();
    }

    @Override
    public String type() { return "gr00t_flare"; }

    @Override
    public int actionDimension() { return base.actionDimension(); }

    @Override
    public int horizon() { return base.horizon(); }

    @Override
    public int stateDim() { return base.stateDim(); }

    @Override
    public int vlDim() { return base.vlDim(); }

    @Override
    public int embodiments() { return base.embodiments(); }

    @Override
    public int inferenceSteps() { return base.inferenceSteps(); }

    @Override
    public int buckets() { return base.buckets(); }

    @Override
    public FlareConfig validate() {
        base.validate();
        if (flare == null) throw new ConfigException("config: gr00t_flare needs a \"flare\" object");
        if (flare.alignLayer() == null || flare.targetTokenDim() == null || flare.numTargetTokens() == null) {
            throw new ConfigException("config: flare needs align_layer, target_token_dim and num_target_tokens");
        }
        int layers = base.dit().numLayers();
        if (flare.alignLayer() < 1 || flare.alignLayer() > layers) {
            throw new ConfigException("config: flare.align_layer must be in [1, " + layers + "] (DiT blocks), got " + flare.alignLayer());
        }
        DustConfig.positive("flare.target_token_dim", flare.targetTokenDim());
        DustConfig.positive("flare.num_target_tokens", flare.numTargetTokens());
        ModelConfig.finiteIn("flare.lambda_align", flare.lambdaAlign(), 0, 1e6, false, false);
        if (base.head().numTargetVisionTokens() != flare.numTargetTokens().intValue()) {
            throw new ConfigException("config: action_head_cfg.num_target_vision_tokens " + base.head().numTargetVisionTokens()
                    + " must equal flare.num_target_tokens " + flare.numTargetTokens() + " (one future token per target token)");
        }
        return this;
    }

    /** The GR00T config text with model_type "gr00t_flare" and the "flare" object. */
    @Override
    public String toJson() {
        try {
            ObjectNode root = (ObjectNode) JSON.readTree(base.toJson());
            root.put("model_type", "gr00t_flare");
            root.set("flare", JSON.valueToTree(flare));
            return JSON.writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("config: cannot serialise: " + e.getMessage(), e);
        }
    }
}
