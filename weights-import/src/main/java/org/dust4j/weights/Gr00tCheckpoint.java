package org.dust4j.weights;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.dust4j.weights.SafetensorsException.Rule;

/**
 * A published GR00T-N1.5 model directory: {@code config.json} with top-level {@code model_type "gr00t_n1_5"}
 * and a nested {@code action_head_cfg} (holding {@code diffusion_model_cfg} and {@code vl_self_attention_cfg}),
 * plus {@code model.safetensors} or BF16/F32 shards with an index. Only {@code action_head.*} tensors are read;
 * {@code backbone.*} tensors are ignored and reported, and their shards are never opened.
 */
public final class Gr00tCheckpoint implements AutoCloseable {
    public static final String MODEL_TYPE = "gr00t_n1_5";
    public static final String HEAD_PREFIX = "action_head.";
    public static final String BACKBONE_PREFIX = "backbone.";

    private final Path dir;
    private final JsonNode config;
    private final ObjectNode actionHead;
    private final TensorSource weights;

    private Gr00tCheckpoint(Path dir, JsonNode config, ObjectNode actionHead, TensorSource weights) {
        this.dir = dir;
        this.config = config;
        this.actionHead = actionHead;
        this.weights = weights;
    }

    /**
     * Reads and checks config.json, then opens the weights (lazily for shards). The returned action-head config
     * has GR00T's class defaults filled in: {@code max_num_embodiments} 32 and {@code max_seq_len} 1024.
     */
    public static Gr00tCheckpoint open(Path dir) throws SafetensorsException {
        Path cfg = dir.resolve("config.json");
        JsonNode root;
        try {
            root = SafetensorsFile.JSON.readTree(Files.readAllBytes(cfg));
        } catch (JsonProcessingException e) {
            throw new SafetensorsException(cfg, null, Rule.CONFIG, "not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new SafetensorsException(cfg, null, Rule.IO, e.getClass().getSimpleName() + " " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) throw new SafetensorsException(cfg, null, Rule.CONFIG, "not a JSON object");
        JsonNode type = root.get("model_type");
        if (type == null || !MODEL_TYPE.equals(type.asText())) {
            throw new SafetensorsException(cfg, null, Rule.CONFIG, "model_type is " + (type == null ? "missing" : type)
                    + ", expected \"" + MODEL_TYPE + "\"");
        }
        ObjectNode head = object(cfg, root, "action_head_cfg", "").deepCopy();
        ObjectNode dit = object(cfg, head, "diffusion_model_cfg", "action_head_cfg.");
        object(cfg, head, "vl_self_attention_cfg", "action_head_cfg.");
        if (!head.has("max_num_embodiments")) head.put("max_num_embodiments", 32);
        if (!head.has("max_seq_len")) head.put("max_seq_len", 1024);
        JsonNode pe = dit.get("positional_embeddings");
        if (pe != null && !pe.isNull()) {
            throw new SafetensorsException(cfg, null, Rule.CONFIG, "action_head_cfg.diffusion_model_cfg.positional_embeddings "
                    + pe + " is not supported (only null)");
        }
        long heads = integer(cfg, dit, "num_attention_heads", "action_head_cfg.diffusion_model_cfg.");
        long headDim = integer(cfg, dit, "attention_head_dim", "action_head_cfg.diffusion_model_cfg.");
        long input = integer(cfg, head, "input_embedding_dim", "action_head_cfg.");
        if (heads * headDim != input) {
            throw new SafetensorsException(cfg, null, Rule.CONFIG, "DiT width num_attention_heads x attention_head_dim = "
                    + heads + " x " + headDim + " = " + heads * headDim + " must equal action_head_cfg.input_embedding_dim " + input);
        }
        long out = integer(cfg, dit, "output_dim", "action_head_cfg.diffusion_model_cfg.");
        long hidden = integer(cfg, head, "hidden_size", "action_head_cfg.");
        if (out != hidden) {
            throw new SafetensorsException(cfg, null, Rule.CONFIG, "action_head_cfg.diffusion_model_cfg.output_dim " + out
                    + " must equal action_head_cfg.hidden_size " + hidden);
        }
        return new Gr00tCheckpoint(dir, root, head, TensorSource.open(dir));
    }

    private static ObjectNode object(Path cfg, JsonNode parent, String key, String where) throws SafetensorsException {
        JsonNode n = parent.get(key);
        if (n == null || !n.isObject()) {
            throw new SafetensorsException(cfg, null, Rule.CONFIG, where + key + (n == null ? " is missing" : " must be an object"));
        }
        return (ObjectNode) n;
    }

    private static long integer(Path cfg, JsonNode parent, String key, String where) throws SafetensorsException {
        JsonNode n = parent.get(key);
        if (n == null || !n.isIntegralNumber()) {
            throw new SafetensorsException(cfg, null, Rule.CONFIG, where + key + (n == null ? " is missing" : " must be an integer"));
        }
        return n.longValue();
    }

    public Path dir() { return dir; }

    /** The whole config.json as published. */
    public JsonNode config() { return config; }

    /** {@code action_head_cfg} with defaults filled in. */
    public JsonNode actionHeadConfig() { return actionHead; }

    /** All tensors of the checkpoint (lazy for shards). */
    public TensorSource weights() { return weights; }

    /** Names starting with {@code action_head.} (full names). */
    public List<String> actionHeadNames() { return withPrefix(HEAD_PREFIX); }

    /** Names starting with {@code backbone.}: never read. */
    public List<String> ignoredNames() { return withPrefix(BACKBONE_PREFIX); }

    private List<String> withPrefix(String p) {
        List<String> l = new ArrayList<>();
        for (String n : weights.names()) if (n.startsWith(p)) l.add(n);
        return l;
    }

    /**
     * Loads the action head into parameters named without the {@code action_head.} prefix (as the model's
     * {@code namedParameters()}); backbone tensors are reported in {@link StateDict.Report#ignored()}. Any
     * other top-level tensor is unexpected.
     */
    public StateDict.Report loadActionHead(Map<String, StateDict.Slot> params, boolean strict) throws SafetensorsException {
        StateDict.Options o = StateDict.Options.strictDefaults().strict(strict).stripPrefix(HEAD_PREFIX).ignorePrefix(BACKBONE_PREFIX);
        return StateDict.load(weights, params, o);
    }

    @Override
    public void close() { weights.close(); }
}
