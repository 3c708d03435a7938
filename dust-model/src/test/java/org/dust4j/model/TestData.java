package org.dust4j.model;

import java.util.LinkedHashMap;
import java.util.Map;
import org.dust4j.tensor.Rng;
import org.dust4j.tensor.Tensor;

/** Random inputs for a model, from a seed. */
final class TestData {
    private TestData() {}

    static Tensor randn(long seed, int... shape) {
        return FlowNoise.normal(seed, shape);
    }

    static DustConfig tiny() {
        return (DustConfig) ModelConfig.read(ConfigTest.repo().resolve("configs/dust-tiny.json"));
    }

    static DustConfig tiny(String extraJson) {
        // the extra keys replace the base's (duplicate keys in one document are an error)
        try {
            var base = (com.fasterxml.jackson.databind.node.ObjectNode) ModelConfig.JSON.readTree(
                    ModelConfig.read(ConfigTest.repo().resolve("configs/dust-tiny.json")).toJson());
            base.setAll((com.fasterxml.jackson.databind.node.ObjectNode) ModelConfig.JSON.readTree("{" + extraJson + "}"));
            return (DustConfig) ModelConfig.parse(base.toString());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException(e);
        }
    }

    /** A training batch (no noise) of b samples for a dust config. */
    static Map<String, Tensor> batch(DustConfig c, int b, int s, long seed) {
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("vl", randn(Rng.bits(seed, 1), b, s, c.backboneEmbeddingDim()));
        m.put("state", randn(Rng.bits(seed, 2), b, 1, c.maxStateDim()));
        long[] ids = new long[b];
        for (int i = 0; i < b; i++) ids[i] = i % c.maxNumEmbodiments();
        m.put("embodiment_id", Tensor.ofLongs(ids, b));
        m.put("actions", randn(Rng.bits(seed, 3), b, c.actionHorizon(), c.actionDim()));
        m.put("future", randn(Rng.bits(seed, 4), b, c.numVisionTokens(), c.visionTokenDim()));
        return m;
    }
}
