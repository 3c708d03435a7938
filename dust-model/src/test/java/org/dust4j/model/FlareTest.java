package org.dust4j.model;

import static org.junit.jupiter.api.Assertions.*;

import java.util.LinkedHashMap;
import java.util.Map;
import org.dust4j.autograd.Var;
import org.dust4j.tensor.Rng;
import org.dust4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

class FlareTest {
    static final String CONFIG = """
            {"model_type": "gr00t_flare", "action_dim": 3, "action_horizon": 4,
             "action_head_cfg": {"action_dim": 3, "action_horizon": 4, "backbone_embedding_dim": 16, "hidden_size": 12,
               "input_embedding_dim": 16, "max_state_dim": 5, "max_num_embodiments": 2, "max_seq_len": 8, "num_target_vision_tokens": 4,
               "diffusion_model_cfg": {"attention_head_dim": 8, "num_attention_heads": 2, "num_layers": 3, "cross_attention_dim": 16,
                                       "output_dim": 12, "dropout": 0.0},
               "vl_self_attention_cfg": {"attention_head_dim": 8, "num_attention_heads": 2, "num_layers": 1, "dropout": 0.0}},
             "flare": {"align_layer": 2, "lambda_align": 0.2, "target_token_dim": 6, "num_target_tokens": 4}}
            """;

    static Tensor randn(long seed, int... shape) {
        int n = 1;
        for (int d : shape) n *= d;
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = Rng.normal(seed, i);
        return Tensor.of(v, shape);
    }

    @Test
    void configRoundTripsAndChecksTokenCount() {
        FlareConfig c = (FlareConfig) ModelConfig.parse(CONFIG);
        assertEquals(2, c.flare().alignLayer());
        assertEquals(4, c.base().head().numTargetVisionTokens());
        assertEquals(c.toJson(), ModelConfig.parse(c.toJson()).toJson());
        var e = assertThrows(ConfigException.class, () -> ModelConfig.parse(CONFIG.replace("\"align_layer\": 2", "\"align_layer\": 4")));
        assertEquals("config: flare.align_layer must be in [1, 3] (DiT blocks), got 4", e.getMessage());
        e = assertThrows(ConfigException.class, () -> ModelConfig.parse(CONFIG.replace("\"num_target_tokens\": 4", "\"num_target_tokens\": 5")));
        assertTrue(e.getMessage().contains("must equal flare.num_target_tokens 5"), e.getMessage());
    }

    @Test
    void alignmentIsOneMinusMeanCosine() {
        Tensor p = randn(1, 2, 3, 5), t = randn(2, 2, 3, 5);
        float[] pv = p.toFloatArray(), tv = t.toFloatArray();
        double sum = 0;
        for (int r = 0; r < 6; r++) {            // hand-computed cosine per (sample, token)
            double dot = 0, np = 0, nt = 0;
            for (int k = 0; k < 5; k++) {
                dot += pv[r * 5 + k] * tv[r * 5 + k];
                np += pv[r * 5 + k] * pv[r * 5 + k];
                nt += tv[r * 5 + k] * tv[r * 5 + k];
            }
            sum += dot / Math.sqrt(np * nt);
        }
        float got = FlareModel.alignment(Var.constant(p), t).value().toFloatArray()[0];
        // float32 normalisation and sums over 5 terms: a few ulps of values near 1
        assertEquals(1 - sum / 6, got, 1e-5);
        assertEquals(0.0, FlareModel.alignment(Var.constant(t), t).value().toFloatArray()[0], 1e-5);   // aligned with itself
    }

    @Test
    void actionPathAndSamplingAreGr00tsAndTheLossAddsTheAlignmentTerm() {
        FlareConfig c = (FlareConfig) ModelConfig.parse(CONFIG);
        FlareModel f = (FlareModel) PolicyModel.create(c, 3);
        Gr00tModel g = (Gr00tModel) PolicyModel.create(c.base(), 3);
        assertTrue(f.namedParameters().keySet().containsAll(g.namedParameters().keySet()));
        assertTrue(f.namedParameters().containsKey("flare_align.linear_1.weight"));
        g.namedParameters().forEach((n, v) -> f.namedParameters().get(n).setValue(v.value()));
        Map<String, Tensor> in = new LinkedHashMap<>();
        in.put("vl", randn(4, 2, 3, 16));
        in.put("state", randn(5, 2, 1, 5));
        in.put("embodiment_id", Tensor.ofLongs(new long[] {0, 1}, 2));
        in.put("actions", randn(6, 2, 4, 3));
        in.put("future", randn(7, 2, 4, 6));
        Map<String, Tensor> batch = FlowNoise.complete(in, c, 9);
        var lf = f.loss(batch);
        var lg = g.loss(batch);
        double la = lg.loss().value().toFloatArray()[0];
        assertEquals(la, lf.lossAction().value().toFloatArray()[0], 1e-6, "same action loss as GR00T with the same weights");
        double align = lf.lossWm().value().toFloatArray()[0];
        assertTrue(align > 0 && align < 2, "1 - cos lies in [0, 2]: " + align);
        assertEquals(la + 0.2 * align, lf.loss().value().toFloatArray()[0], 1e-5);
        Map<String, Tensor> s = new LinkedHashMap<>(in);
        s.put("noise_action", randn(8, 2, 4, 3));
        assertArrayEquals(g.sample(s, SamplerOptions.defaults()).get("actions").toFloatArray(),
                f.sample(s, SamplerOptions.defaults()).get("actions").toFloatArray());
    }
}
