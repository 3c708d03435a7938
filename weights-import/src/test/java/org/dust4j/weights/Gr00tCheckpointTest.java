package org.dust4j.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.dust4j.tensor.DType;
import org.dust4j.tensor.Tensor;
import org.dust4j.weights.SafetensorsException.Rule;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** GR00T-N1.5 directories: nested config, torch-written BF16 backbone shard + F32 action-head shard. */
class Gr00tCheckpointTest {
    /** The published layout (dust-spec b.1), shortened to the keys that matter plus a few extras. */
    static final String CONFIG = """
            {"model_type": "gr00t_n1_5", "architectures": ["GR00T_N1_5"], "action_horizon": 16, "action_dim": 32,
             "hidden_size": 2048, "model_dtype": "float32", "torch_dtype": "bfloat16",
             "backbone_cfg": {"select_layer": 12, "tune_llm": false, "project_to_dim": null},
             "action_head_cfg": {"action_dim": 32, "action_horizon": 16, "add_pos_embed": true,
               "backbone_embedding_dim": 2048, "hidden_size": 1024, "input_embedding_dim": 1536,
               "max_action_dim": 32, "max_state_dim": 64, "num_inference_timesteps": 4, "use_vlln": true,
               "diffusion_model_cfg": {"attention_head_dim": 48, "num_attention_heads": 32, "num_layers": 16,
                 "cross_attention_dim": 2048, "dropout": 0.2, "final_dropout": true, "interleave_self_attention": true,
                 "norm_type": "ada_norm", "output_dim": 1024, "positional_embeddings": null},
               "vl_self_attention_cfg": {"attention_head_dim": 64, "num_attention_heads": 32, "num_layers": 4,
                 "dropout": 0.2, "final_dropout": true, "positional_embeddings": null}}}
            """;
    static Path torchSharded;

    @BeforeAll
    static void find() throws Exception {
        TorchInteropTest.find();
        torchSharded = TorchInteropTest.testdata.resolve("torch_sharded");
    }

    static Path dir(Path tmp, String config) throws Exception {
        try (var s = Files.list(torchSharded)) {
            for (Path p : s.toList()) Files.copy(p, tmp.resolve(p.getFileName()));
        }
        Files.writeString(tmp.resolve("config.json"), config);
        return tmp;
    }

    @Test
    void loadsTheActionHeadAndIgnoresTheBackboneWithoutOpeningItsShard(@TempDir Path tmp) throws Exception {
        try (Gr00tCheckpoint g = Gr00tCheckpoint.open(dir(tmp, CONFIG))) {
            assertEquals(32, g.actionHeadConfig().get("max_num_embodiments").asInt());
            assertEquals(1024, g.actionHeadConfig().get("max_seq_len").asInt());
            assertEquals(List.of("backbone.embed.weight", "backbone.norm.weight"), g.ignoredNames());
            Map<String, Tensor> params = new LinkedHashMap<>();
            params.put("proj.weight", Tensor.zeros(4, 8));
            params.put("proj.bias", Tensor.zeros(4));
            params.put("steps", Tensor.zeros(DType.I64, 8));
            StateDict.Report r = g.loadActionHead(StateDict.slots(params), true);
            assertEquals(List.of("proj.weight", "proj.bias", "steps"), r.loaded());
            assertEquals(List.of("backbone.embed.weight", "backbone.norm.weight"), r.ignored());
            assertEquals(Set.of("model-00002-of-00002.safetensors"), ((ShardedCheckpoint) g.weights()).openedShards());
            assertArrayEquals(new long[] {-3, -2, -1, 0, 1, 2, 3, 4}, params.get("steps").toLongArray());
            // values equal what torch stored (f32_bits in torch_expected.json)
            var want = TorchInteropTest.expected.get("torch_sharded/model-00002-of-00002.safetensors").get("action_head.proj.bias").get("f32_bits");
            float[] got = params.get("proj.bias").toFloatArray();
            for (int i = 0; i < 4; i++) assertEquals(want.get(i).asInt(), Float.floatToRawIntBits(got[i]));
        }
    }

    @Test
    void strictLoadNamesMissingParameters(@TempDir Path tmp) throws Exception {
        try (Gr00tCheckpoint g = Gr00tCheckpoint.open(dir(tmp, CONFIG))) {
            Map<String, Tensor> params = new LinkedHashMap<>();
            params.put("proj.weight", Tensor.zeros(4, 8));
            params.put("extra.weight", Tensor.zeros(2));
            SafetensorsException e = assertThrows(SafetensorsException.class, () -> g.loadActionHead(StateDict.slots(params), true));
            assertTrue(e.getMessage().contains("missing [extra.weight]"), e.getMessage());
            assertTrue(e.getMessage().contains("unexpected [action_head.proj.bias, action_head.steps]"), e.getMessage());
        }
    }

    @Test
    void badConfigsAreRejected(@TempDir Path tmp) throws Exception {
        Path d = dir(tmp, CONFIG.replace("\"gr00t_n1_5\"", "\"dust\""));
        assertConfigError(d, "expected \"gr00t_n1_5\"");
        Files.writeString(d.resolve("config.json"), CONFIG.replace("\"input_embedding_dim\": 1536", "\"input_embedding_dim\": 1024"));
        assertConfigError(d, "must equal action_head_cfg.input_embedding_dim 1024");
        Files.writeString(d.resolve("config.json"), CONFIG.replace("\"output_dim\": 1024", "\"output_dim\": 512"));
        assertConfigError(d, "output_dim 512 must equal action_head_cfg.hidden_size 1024");
        Files.writeString(d.resolve("config.json"), CONFIG.replace("\"norm_type\": \"ada_norm\", \"output_dim\": 1024, \"positional_embeddings\": null",
                "\"norm_type\": \"ada_norm\", \"output_dim\": 1024, \"positional_embeddings\": \"sinusoidal\""));
        assertConfigError(d, "positional_embeddings \"sinusoidal\" is not supported");
        Files.writeString(d.resolve("config.json"), "{\"model_type\": \"gr00t_n1_5\"}");
        assertConfigError(d, "action_head_cfg is missing");
    }

    private static void assertConfigError(Path d, String text) {
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> Gr00tCheckpoint.open(d));
        assertEquals(Rule.CONFIG, e.rule());
        assertTrue(e.getMessage().contains(text), e.getMessage());
    }
}
