package org.dust4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ConfigTest {
    static Path repo() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !p.resolve("configs").toFile().isDirectory()) p = p.getParent();
        if (p == null) throw new IllegalStateException("cannot find the repository root (configs/) above " + Path.of("").toAbsolutePath());
        return p;
    }

    @Test
    void missingKeysTakeContractDefaults() {
        DustConfig c = (DustConfig) ModelConfig.parse("{\"model_type\": \"dust\"}");
        assertEquals(DustConfig.DUAL_STREAM, c.architecture());
        assertEquals(2048, c.backboneEmbeddingDim());
        assertEquals(1536, c.innerDim());
        assertEquals(12, c.numJointLayers());
        assertEquals(4, c.numSingleLayers());
        assertEquals(64, c.vlSelfAttention().attentionHeadDim());
        assertEquals(1152, c.visionTokenDim());
        assertEquals(8, c.visionGrid());
        assertEquals(0.999, c.noiseS());
        assertEquals(0.2, c.dropout());
        assertTrue(c.decoupledNoise());
        assertEquals(c, DustConfig.defaults());
    }

    @Test
    void unknownKeyIsAnErrorNamingTheKey() {
        var e = assertThrows(ConfigException.class, () -> ModelConfig.parse("{\"model_type\": \"dust\", \"num_layerz\": 3}"));
        assertTrue(e.getMessage().contains("num_layerz"), e.getMessage());
        var n = assertThrows(ConfigException.class,
                () -> ModelConfig.parse("{\"model_type\": \"dust\", \"vl_self_attention\": {\"heads\": 3}}"));
        assertTrue(n.getMessage().contains("vl_self_attention.heads"), n.getMessage());
    }

    @Test
    void impossibleSizesAreClearErrors() {
        assertMessage("{\"model_type\":\"dust\",\"backbone_embedding_dim\":100}", "backbone_embedding_dim 100");
        assertMessage("{\"model_type\":\"dust\",\"num_attention_heads\":1,\"attention_head_dim\":6}", "divisible by 4");
        assertMessage("{\"model_type\":\"dust\",\"num_vision_tokens\":10}", "perfect square");
        assertMessage("{\"model_type\":\"dust\",\"action_horizon\":20,\"max_seq_len\":16}", "max_seq_len 16");
        assertMessage("{\"model_type\":\"dust\",\"hidden_size\":0}", "hidden_size must be positive");
        assertMessage("{\"model_type\":\"dust\",\"architecture\":\"triple\"}", "triple");
        assertMessage("{\"model_type\":\"dust\",\"hidden_size\":\"big\"}", "hidden_size");
        assertMessage("{\"model_type\":\"dust\",\"hidden_size\":1.5}", "hidden_size");
        assertMessage("{\"model_type\":\"llama\"}", "llama");
        assertMessage("{}", "model_type");
        assertMessage("[1]", "object");
        assertMessage("{not json", "JSON");
    }

    private static void assertMessage(String json, String part) {
        var e = assertThrows(ConfigException.class, () -> ModelConfig.parse(json));
        assertTrue(e.getMessage().contains(part), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
    }

    @Test
    void publishedGr00tConfigParses() {
        ModelConfig m = ModelConfig.read(repo().resolve("configs/gr00t-n1.5.json"));
        Gr00tConfig g = assertInstanceOf(Gr00tConfig.class, m);
        assertEquals(1536, g.innerDim());
        assertEquals(16, g.dit().numLayers());
        assertEquals(32, g.embodiments());
        assertEquals(1024, g.head().maxSeqLen());
        assertEquals(32, g.head().numTargetVisionTokens());
        assertTrue(g.crossAttends(0));
        assertFalse(g.crossAttends(1));
        assertEquals("NVEagle/eagle_er-qwen3_1_7B-Siglip2_400M_stage1_5_128gpu_er_v7_1mlp_nops",
                g.backboneCfg().get("eagle_path").asText());
    }

    @Test
    void gr00tConstraints() {
        String base = "{\"model_type\":\"gr00t_n1_5\",\"action_head_cfg\":{%s}}";
        var e = assertThrows(ConfigException.class, () -> ModelConfig.parse(base.formatted(
                "\"diffusion_model_cfg\":{\"positional_embeddings\":\"sinusoidal\"}")));
        assertTrue(e.getMessage().contains("positional_embeddings"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> ModelConfig.parse(base.formatted("\"input_embedding_dim\":1024")));
        assertTrue(e.getMessage().contains("input_embedding_dim 1024"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> ModelConfig.parse(base.formatted("\"hidden_size\":512")));
        assertTrue(e.getMessage().contains("output_dim"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> ModelConfig.parse("{\"model_type\":\"gr00t_n1_5\"}"));
        assertTrue(e.getMessage().contains("action_head_cfg"), e.getMessage());
    }

    @Test
    void shippedConfigsAreValidAndRoundTrip() {
        for (String name : new String[] {"dust-tiny", "dust-small", "dust-gr00t", "gr00t-n1.5"}) {
            ModelConfig c = ModelConfig.read(repo().resolve("configs/" + name + ".json"));
            assertEquals(c, ModelConfig.parse(c.toJson()), name);
        }
        DustConfig small = (DustConfig) ModelConfig.read(repo().resolve("configs/dust-small.json"));
        assertEquals(256, small.innerDim());
        assertEquals(6, small.numJointLayers());
        assertEquals(2, small.numSingleLayers());
        assertEquals(DustConfig.defaults(), ModelConfig.read(repo().resolve("configs/dust-gr00t.json")));
    }

    /** Wrong JSON types are errors, not coerced: "12" for an int, "true" for a bool, 1 for a string. */
    @Test
    void wrongJsonTypesAreErrors() {
        assertMessage("{\"model_type\":\"dust\",\"hidden_size\":\"12\"}", "hidden_size");
        assertMessage("{\"model_type\":\"dust\",\"use_vlln\":\"true\"}", "use_vlln");
        assertMessage("{\"model_type\":\"dust\",\"use_vlln\":1}", "use_vlln");
        assertMessage("{\"model_type\":\"dust\",\"architecture\":1}", "architecture");
        assertMessage("{\"model_type\":\"dust\",\"noise_s\":\"0.5\"}", "noise_s");
        assertMessage("{\"model_type\":\"gr00t_n1_5\",\"action_head_cfg\":{\"hidden_size\":\"64\"}}", "hidden_size");
        // an int where a real is expected is fine
        assertEquals(1.0, ((DustConfig) ModelConfig.parse("{\"model_type\":\"dust\",\"lambda_wm\":1}")).lambdaWm());
    }

    /** Duplicate keys used to take the last value silently. */
    @Test
    void duplicateKeysAreErrors() {
        assertMessage("{\"model_type\":\"dust\",\"hidden_size\":64,\"hidden_size\":32}", "hidden_size");
        assertMessage("{\"model_type\":\"dust\",\"vl_self_attention\":{\"num_layers\":1,\"num_layers\":2}}", "num_layers");
        assertMessage("{\"model_type\":\"dust\"} {\"hidden_size\":3}", "JSON");     // content after the document
    }

    /** Bug 7: 1e400 parsed to Infinity and passed; heads x head_dim overflowing an int was not caught. */
    @Test
    void nonFiniteRealsAndOverflowingProductsAreErrors() {
        assertMessage("{\"model_type\":\"dust\",\"noise_s\":1e400}", "noise_s");
        assertMessage("{\"model_type\":\"dust\",\"lambda_wm\":1e400}", "lambda_wm");
        assertMessage("{\"model_type\":\"dust\",\"lambda_wm\":-1e400}", "lambda_wm");
        assertMessage("{\"model_type\":\"dust\",\"noise_beta_alpha\":1e400}", "noise_beta_alpha");
        assertMessage("{\"model_type\":\"dust\",\"num_attention_heads\":65536,\"attention_head_dim\":65536}", "x attention_head_dim");
        assertMessage("{\"model_type\":\"dust\",\"num_attention_heads\":131072,\"attention_head_dim\":32768}", "num_attention_heads");
        assertMessage("{\"model_type\":\"gr00t_n1_5\",\"action_head_cfg\":{\"noise_s\":1e400}}", "noise_s");
        assertMessage("{\"model_type\":\"gr00t_n1_5\",\"action_head_cfg\":{\"diffusion_model_cfg\":{\"num_attention_heads\":65536,"
                + "\"attention_head_dim\":65536}}}", "attention_head_dim");
    }

    /** Bug 6: absurd counts are refused by the config bounds (one line), and big models by the memory check, before allocation. */
    @Test
    void sizesAreBoundedBeforeAllocation(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        assertMessage("{\"model_type\":\"dust\",\"num_joint_layers\":1000000}", "num_joint_layers");
        assertMessage("{\"model_type\":\"dust\",\"max_num_embodiments\":10000000}", "max_num_embodiments");
        assertMessage("{\"model_type\":\"gr00t_n1_5\",\"action_head_cfg\":{\"diffusion_model_cfg\":{\"num_layers\":1000000}}}", "num_layers");
        ModelConfig huge = ModelConfig.parse("{\"model_type\":\"dust\",\"max_num_embodiments\":65536,\"hidden_size\":8192}");
        long t0 = System.nanoTime();
        var e = assertThrows(ConfigException.class, () -> PolicyModel.create(huge, 1));
        assertTrue(e.getMessage().contains("parameters") && e.getMessage().contains("heap"), e.getMessage());
        assertTrue((System.nanoTime() - t0) / 1e9 < 10, "refused before allocating");
        // config files: regular files of bounded size only
        java.nio.file.Path dz = tmp.resolve("config.json");
        java.nio.file.Files.createSymbolicLink(dz, java.nio.file.Path.of("/dev/zero"));
        var z = assertThrows(ConfigException.class, () -> ModelConfig.read(dz));
        assertTrue(z.getMessage().contains("not a regular file"), z.getMessage());
        java.nio.file.Path big = tmp.resolve("big.json");
        java.nio.file.Files.writeString(big, "{\"model_type\":\"dust\"" + " ".repeat((int) ModelConfig.MAX_FILE_BYTES) + "}");
        var b = assertThrows(ConfigException.class, () -> ModelConfig.read(big));
        assertTrue(b.getMessage().contains("limit"), b.getMessage());
    }
}
