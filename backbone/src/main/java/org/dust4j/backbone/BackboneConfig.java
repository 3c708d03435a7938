package org.dust4j.backbone;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The backbone's shape and options as backbone-contract.md section 2 reads them from a GR00T-N1.5 {@code config.json}:
 * {@code model_type}, {@code backbone_cfg} and the optional {@code eagle_config}; every missing key, at any depth,
 * takes its published N1.5 value, every other key is ignored. The symbols follow the contract's notation.
 *
 * @param imageSize S; patchSize p; grid G = floor(S/p); visionWidth Dv; visionHeads Hv; visionMlp Iv;
 *                  visionLayers Nv; visionEps layer_norm_eps; shuffle k (1 = no pixel shuffle); connector 1 or 2;
 *                  visionSelect the eagle select_layer; imageToken image_token_index; width D; heads H;
 *                  kvHeads KV; headDim hd; mlp I; textLayers num_hidden_layers; vocab V; ropeTheta; rmsEps;
 *                  layers Ls = backbone_cfg.select_layer; projectTo Pj (0 = null)
 */
public record BackboneConfig(int imageSize, int patchSize, int visionWidth, int visionHeads, int visionMlp, int visionLayers,
                             double visionEps, int shuffle, int connector, int visionSelect, int imageToken,
                             int width, int heads, int kvHeads, int headDim, int mlp, int textLayers, int vocab,
                             double ropeTheta, double rmsEps, int layers, int projectTo) {

    static final ObjectMapper JSON = new ObjectMapper();

    /** G. */
    public int grid() { return imageSize / patchSize; }

    /** P = G². */
    public int patches() { return grid() * grid(); }

    /** T = P / k², image tokens per image. */
    public int imageTokens() { return patches() / (shuffle * shuffle); }

    /** Din = Dv·k², mlp1's input width. */
    public int connectorIn() { return visionWidth * shuffle * shuffle; }

    /** Dout = D, or Pj when project_to_dim is set. */
    public int outWidth() { return projectTo > 0 ? projectTo : width; }

    /** The index into hs[0..Nv] of the vision state used (section 4.4); -1 means the post-layernorm last state. */
    public int visionStateIndex() { return visionSelect == -1 ? visionLayers : visionSelect >= 0 ? visionSelect : visionLayers + 1 + visionSelect; }

    /** The published GR00T-N1.5 backbone (what a real checkpoint without eagle_config gets). */
    public static BackboneConfig n15() {
        return parse(JSON.createObjectNode().put("model_type", "gr00t_n1_5"), "config.json");
    }

    /** Reads {@code dir/config.json}; any problem is one line naming the file and the key. */
    public static BackboneConfig read(Path dir) {
        Path f = dir.resolve("config.json");
        JsonNode root;
        try {
            root = JSON.readTree(Files.readAllBytes(f));
        } catch (IOException e) {
            throw new IllegalArgumentException(f + ": cannot read: " + e.getMessage().lines().findFirst().orElse(""), e);
        }
        return parse(root, f.toString());
    }

    /** Parses and validates a config.json tree; {@code where} names the file in messages. */
    public static BackboneConfig parse(JsonNode root, String where) {
        Keys r = new Keys(where, root, "");
        if (root == null || !root.isObject()) throw new IllegalArgumentException(where + ": not a JSON object");
        String type = r.string("model_type", null);
        if (!"gr00t_n1_5".equals(type)) {
            throw new IllegalArgumentException(where + ": model_type is " + (type == null ? "missing" : "\"" + type + "\"")
                    + ", embed accepts \"gr00t_n1_5\" only");
        }
        Keys bb = r.child("backbone_cfg");
        int ls = bb.integer("select_layer", 12);
        int pj = bb.nullableInt("project_to_dim");
        bb.require("reproject_vision", !bb.bool("reproject_vision", false), "must be false");
        Keys ea = r.child("eagle_config");
        Keys vc = ea.child("vision_config");
        Keys tc = ea.child("text_config");

        vc.require("model_type", "siglip_vision_model".equals(vc.string("model_type", "siglip_vision_model")), "must be \"siglip_vision_model\"");
        int dv = vc.positive("hidden_size", 1152);
        int iv = vc.positive("intermediate_size", 4304);
        int hv = vc.positive("num_attention_heads", 16);
        int nv = vc.positive("num_hidden_layers", 27);
        int s = vc.positive("image_size", 224);
        int p = vc.positive("patch_size", 14);
        vc.require("num_channels", vc.integer("num_channels", 3) == 3, "must be 3");
        double veps = vc.number("layer_norm_eps", 1e-6);
        vc.require("layer_norm_eps", veps >= 0 && Double.isFinite(veps), "must be a finite number >= 0");
        vc.require("hidden_act", "gelu_pytorch_tanh".equals(vc.string("hidden_act", "gelu_pytorch_tanh")), "must be \"gelu_pytorch_tanh\"");
        vc.require("hidden_size", dv % hv == 0, "(" + dv + ") must be divisible by num_attention_heads (" + hv + ")");
        vc.require("patch_size", p <= s, "(" + p + ") must not exceed image_size (" + s + ")");
        int g = s / p;

        String arch = tc.firstString("architectures", "Qwen3ForCausalLM");
        tc.require("architectures", "Qwen3ForCausalLM".equals(arch), "[0] must be \"Qwen3ForCausalLM\"");
        int d = tc.positive("hidden_size", 2048);
        int im = tc.positive("intermediate_size", 6144);
        int h = tc.positive("num_attention_heads", 16);
        int kv = tc.positive("num_key_value_heads", 8);
        int hd = tc.has("head_dim") && tc.isNull("head_dim") ? -1 : tc.positive("head_dim", 128);
        if (hd < 0) {
            tc.require("head_dim", d % h == 0, "is null but hidden_size (" + d + ") is not divisible by num_attention_heads (" + h + ")");
            hd = d / h;
        }
        int nl = tc.positive("num_hidden_layers", 28);
        double reps = tc.number("rms_norm_eps", 1e-6);
        tc.require("rms_norm_eps", reps >= 0 && Double.isFinite(reps), "must be a finite number >= 0");
        double theta = tc.number("rope_theta", 1_000_000.0);
        tc.require("rope_theta", theta > 0 && Double.isFinite(theta), "must be a finite number > 0");
        tc.require("rope_scaling", !tc.has("rope_scaling") || tc.isNull("rope_scaling"), "must be null");
        int vocab = tc.positive("vocab_size", 151680);
        tc.require("hidden_act", "silu".equals(tc.string("hidden_act", "silu")), "must be \"silu\"");
        tc.require("attention_bias", !tc.bool("attention_bias", false), "must be false");
        tc.require("use_sliding_window", !tc.bool("use_sliding_window", false), "must be false");
        tc.require("num_attention_heads", h % kv == 0, "(" + h + ") must be divisible by num_key_value_heads (" + kv + ")");
        tc.require("head_dim", hd % 2 == 0, "(" + hd + ") must be even (RoPE rotates channel pairs)");

        int force = ea.nullableInt("force_image_size");
        ea.require("force_image_size", force == 0 || force == s, "(" + force + ") must be null or equal vision_config.image_size (" + s + ")");
        int imageToken = ea.integer("image_token_index", 151669);
        ea.require("image_token_index", imageToken >= 0 && imageToken < vocab, "(" + imageToken + ") must be in [0, vocab_size " + vocab + ")");
        boolean ps = ea.bool("use_pixel_shuffle", false);
        int k = 1;
        if (ps) {
            double ratio = ea.number("downsample_ratio", 0.5);
            double inv = 1 / ratio;
            long kk = Math.round(inv);
            ea.require("downsample_ratio", ratio > 0 && Double.isFinite(inv) && Math.abs(inv - kk) <= 1e-9 * Math.max(1, inv) && kk >= 1 && kk <= g && g % kk == 0,
                    "(" + ratio + "): 1/downsample_ratio must be an integer dividing the patch grid side " + g);
            k = (int) kk;
        }
        int conn = ea.integer("mlp_connector_layers", 1);
        ea.require("mlp_connector_layers", conn == 1 || conn == 2, "(" + conn + ") must be 1 or 2");
        ea.require("mlp_connector_layers", conn == 1 || ps, "2 requires use_pixel_shuffle");
        int vsel = ea.integer("select_layer", -1);
        ea.require("select_layer", vsel >= -(nv + 1) && vsel <= nv, "(" + vsel + ") must be in [" + -(nv + 1) + ", " + nv + "]");
        ea.require("use_backbone_lora", ea.zero("use_backbone_lora"), "must be 0");
        ea.require("use_llm_lora", ea.zero("use_llm_lora"), "must be 0");
        bb.require("select_layer", ls >= 1 && ls <= nl, "(" + ls + ") must be in [1, eagle_config.text_config.num_hidden_layers " + nl + "]");
        bb.require("project_to_dim", pj >= 0, "must be null or a positive integer");
        return new BackboneConfig(s, p, dv, hv, iv, nv, veps, k, conn, vsel, imageToken, d, h, kv, hd, im, nl, vocab, theta, reps, ls, pj);
    }

    /** One level of the JSON tree with defaults for missing keys and one-line errors naming the full key path. */
    private record Keys(String where, JsonNode node, String path) {
        Keys child(String key) {
            JsonNode n = node == null ? null : node.get(key);
            if (n != null && !n.isNull() && !n.isObject()) throw error(key, "must be an object");
            return new Keys(where, n == null || n.isNull() ? null : n, path + key + ".");
        }

        boolean has(String key) { return node != null && node.has(key); }

        boolean isNull(String key) { return node.get(key).isNull(); }

        IllegalArgumentException error(String key, String what) {
            return new IllegalArgumentException(where + ": " + path + key + " " + what);
        }

        void require(String key, boolean ok, String what) {
            if (!ok) throw error(key, (node != null && node.has(key) && !what.startsWith("(") ? "is " + node.get(key) + ", " : "") + what);
        }

        int integer(String key, int dflt) {
            if (!has(key)) return dflt;
            JsonNode n = node.get(key);
            if (!n.isIntegralNumber() || !n.canConvertToInt()) {
                if (n.isNumber() && n.asDouble() == Math.rint(n.asDouble()) && Math.abs(n.asDouble()) < 1e9) return (int) n.asDouble();
                throw error(key, "is " + n + ", expected an integer");
            }
            return n.intValue();
        }

        int positive(String key, int dflt) {
            int v = integer(key, dflt);
            if (v < 1 || v > 1 << 24) throw error(key, "is " + v + ", expected an integer in [1, 16777216]");
            return v;
        }

        /** 0 for a missing or null key, else the integer (which must be positive). */
        int nullableInt(String key) {
            if (!has(key) || isNull(key)) return 0;
            int v = integer(key, 0);
            if (v < 1 || v > 1 << 24) throw error(key, "is " + v + ", expected null or an integer in [1, 16777216]");
            return v;
        }

        double number(String key, double dflt) {
            if (!has(key)) return dflt;
            JsonNode n = node.get(key);
            if (!n.isNumber()) throw error(key, "is " + n + ", expected a number");
            return n.asDouble();
        }

        boolean bool(String key, boolean dflt) {
            if (!has(key)) return dflt;
            JsonNode n = node.get(key);
            if (!n.isBoolean()) throw error(key, "is " + n + ", expected true or false");
            return n.booleanValue();
        }

        /** A lora flag: missing, 0 or false. */
        boolean zero(String key) {
            if (!has(key)) return true;
            JsonNode n = node.get(key);
            return (n.isNumber() && n.asDouble() == 0) || (n.isBoolean() && !n.booleanValue());
        }

        String string(String key, String dflt) {
            if (!has(key)) return dflt;
            JsonNode n = node.get(key);
            if (!n.isTextual()) throw error(key, "is " + n + ", expected a string");
            return n.textValue();
        }

        String firstString(String key, String dflt) {
            if (!has(key)) return dflt;
            JsonNode n = node.get(key);
            if (!n.isArray() || n.isEmpty() || !n.get(0).isTextual()) throw error(key, "is " + n + ", expected a list of strings");
            return n.get(0).textValue();
        }
    }
}
