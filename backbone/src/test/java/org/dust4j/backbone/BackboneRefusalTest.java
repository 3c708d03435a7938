package org.dust4j.backbone;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import org.dust4j.tensor.Tensor;
import org.dust4j.weights.SafeDType;
import org.dust4j.weights.SafetensorsFile;
import org.dust4j.weights.SafetensorsWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The refusals of sections 2, 3 and 5: each is one line naming the offending key, tensor or input. */
class BackboneRefusalTest {

    static Path fixture(String name) { return BackboneParityTest.fixture(name); }

    static String oneLine(Throwable e) {
        String m = e.getMessage();
        assertTrue(m != null && !m.contains("\n"), "one-line message: " + m);
        return m;
    }

    /** Copies a fixture's model.safetensors with a change to its tensor map. */
    static Path model(Path dir, String from, Consumer<Map<String, Tensor>> change) throws Exception {
        Files.createDirectories(dir);
        Files.copy(fixture(from).resolve("config.json"), dir.resolve("config.json"));
        Map<String, Tensor> t = BackboneParityTest.read(fixture(from).resolve("model.safetensors"));
        change.accept(t);
        SafetensorsWriter w = new SafetensorsWriter();
        t.forEach(w::put);
        w.write(dir.resolve("model.safetensors"));
        return dir;
    }

    @Test
    void tensorProblemsAreListedAllAtOnce(@TempDir Path tmp) throws Exception {
        String fc1 = BackboneWeights.VIS + "encoder.layers.1.mlp.fc1.weight";
        String qn = BackboneWeights.LLM + "layers.0.self_attn.q_norm.weight";
        Path d = model(tmp.resolve("m"), "n15layout", t -> {
            t.remove(fc1);
            t.put("backbone.eagle_model.extra.weight", Tensor.zeros(2));
            t.put("backbone.eagle_linear.weight", Tensor.zeros(3, 48));       // no project_to_dim: unexpected (item 9)
            t.put(qn, Tensor.zeros(15));
        });
        for (BackboneWeights.Mode m : BackboneWeights.Mode.values()) {
            String msg = oneLine(assertThrows(IllegalArgumentException.class, () -> EagleBackbone.load(d, m)));
            assertTrue(msg.contains("1 missing") && msg.contains(fc1 + " [72, 40]"), msg);
            assertTrue(msg.contains("2 unexpected") && msg.contains("backbone.eagle_model.extra.weight")
                    && msg.contains("backbone.eagle_linear.weight"), msg);
            assertTrue(msg.contains("1 wrong") && msg.contains(qn + " is [15], expected [16]"), msg);
        }
    }

    @Test
    void tokenTableUnderEitherNameAndLayersBeyondSelectLayerIgnored(@TempDir Path tmp) throws Exception {
        String emb = BackboneWeights.EMBED;
        // lm_head only: accepted
        Path a = model(tmp.resolve("a"), "n15layout", t -> t.put(BackboneWeights.LM_HEAD, t.remove(emb)));
        try (EagleBackbone bb = EagleBackbone.load(a, BackboneWeights.Mode.MAPPED)) {
            assertEquals(BackboneWeights.LM_HEAD, bb.weights().tokenTableName());
        }
        // both: embed_tokens is read, lm_head ignored (shape not checked); a layer >= Ls is ignored whatever its shape
        Path b = model(tmp.resolve("b"), "n15layout", t -> {
            t.put(BackboneWeights.LM_HEAD, Tensor.zeros(1));
            t.put(BackboneWeights.LLM + "layers.2.anything.weight", Tensor.zeros(1));
        });
        try (EagleBackbone bb = EagleBackbone.load(b, BackboneWeights.Mode.MAPPED)) {
            assertEquals(emb, bb.weights().tokenTableName());
            assertEquals(2, bb.weights().ignoredNames().size());
        }
        // neither: missing, named
        Path c = model(tmp.resolve("c"), "n15layout", t -> t.remove(emb));
        String msg = oneLine(assertThrows(IllegalArgumentException.class, () -> EagleBackbone.load(c, BackboneWeights.Mode.MAPPED)));
        assertTrue(msg.contains("1 missing") && msg.contains(emb), msg);
        // a layer index below Ls with a stray suffix is unexpected, not ignored
        Path e = model(tmp.resolve("e"), "n15layout", t -> t.put(BackboneWeights.LLM + "layers.1.extra", Tensor.zeros(1)));
        msg = oneLine(assertThrows(IllegalArgumentException.class, () -> EagleBackbone.load(e, BackboneWeights.Mode.MAPPED)));
        assertTrue(msg.contains("1 unexpected") && msg.contains("layers.1.extra"), msg);
    }

    /** Writes an IN file. */
    static Path inputs(Path file, Map<String, Tensor> t, Map<String, SafeDType> as) throws Exception {
        SafetensorsWriter w = new SafetensorsWriter();
        t.forEach((k, v) -> w.put(k, v, as.getOrDefault(k, SafeDType.of(v.dtype()))));
        w.write(file);
        return file;
    }

    @Test
    void inputRefusals(@TempDir Path tmp) throws Exception {
        Path dir = fixture("n15layout");
        Map<String, Tensor> good = BackboneParityTest.read(dir.resolve("case0.in.safetensors"));   // images U8 [3,30,30,3]
        try (EagleBackbone bb = EagleBackbone.load(dir, BackboneWeights.Mode.MAPPED)) {
            BackboneConfig c = bb.config();
            Map<String, SafeDType> u8 = Map.of("images", SafeDType.U8);
            // both image inputs
            Map<String, Tensor> both = new LinkedHashMap<>(good);
            both.put("pixel_values", Tensor.zeros(3, 3, 30, 30));
            assertMessage(() -> EmbedFiles.read(inputs(tmp.resolve("both.st"), both, u8), c), "both");
            // neither
            Map<String, Tensor> none = new LinkedHashMap<>(good);
            none.remove("images");
            assertMessage(() -> EmbedFiles.read(inputs(tmp.resolve("none.st"), none, u8), c), "neither");
            // a missing input
            Map<String, Tensor> noMask = new LinkedHashMap<>(good);
            noMask.remove("attention_mask");
            assertMessage(() -> EmbedFiles.read(inputs(tmp.resolve("nomask.st"), noMask, u8), c), "attention_mask");
            // wrong image size
            Map<String, Tensor> size = new LinkedHashMap<>(good);
            size.put("images", Tensor.zeros(org.dust4j.tensor.DType.I32, 3, 28, 28, 3));
            assertMessage(() -> EmbedFiles.read(inputs(tmp.resolve("size.st"), size, u8), c), "images is [3, 28, 28, 3]");
            // wrong dtype
            Map<String, Tensor> f32 = new LinkedHashMap<>(good);
            f32.put("images", Tensor.zeros(3, 30, 30, 3));
            assertMessage(() -> EmbedFiles.read(inputs(tmp.resolve("dtype.st"), f32, Map.of()), c), "dtype F32, expected U8");
            // N = 0
            Map<String, Tensor> zero = new LinkedHashMap<>(good);
            zero.remove("images");
            zero.put("pixel_values", Tensor.zeros(0, 3, 30, 30));
            assertMessage(() -> EmbedFiles.read(inputs(tmp.resolve("zero.st"), zero, Map.of()), c), "N must be >= 1");
            // ids / mask shapes differ
            Map<String, Tensor> shapes = new LinkedHashMap<>(good);
            shapes.put("attention_mask", Tensor.zeros(org.dust4j.tensor.DType.I64, 3, 27));
            assertMessage(() -> EmbedFiles.read(inputs(tmp.resolve("shapes.st"), shapes, u8), c), "one [B, L] shape");

            EmbedFiles.Inputs in = EmbedFiles.read(dir.resolve("case0.in.safetensors"), c);
            long[] ids = in.inputIds().toLongArray(), mask = in.attentionMask().toLongArray();
            int b = in.inputIds().size(0), l = in.inputIds().size(1);
            // image-token count off by one (one image token replaced by a text id)
            long[] off = ids.clone();
            for (int i = 0; i < off.length; i++) if (off[i] == c.imageToken()) { off[i] = 3; break; }
            assertMessage(() -> bb.embed(in.pixelValues(), Tensor.ofLongs(off, b, l), in.attentionMask()), "47 image-context tokens");
            // id outside [0, V)
            long[] big = ids.clone();
            big[5] = c.vocab();
            assertMessage(() -> bb.embed(in.pixelValues(), Tensor.ofLongs(big, b, l), in.attentionMask()), "id 150 at flat index 5");
            // mask value other than 0/1
            long[] m2 = mask.clone();
            m2[7] = 2;
            assertMessage(() -> bb.embed(in.pixelValues(), in.inputIds(), Tensor.ofLongs(m2, b, l)), "value 2 at flat index 7");
        }
    }

    interface Call { Object run() throws Exception; }

    static void assertMessage(Call c, String part) {
        Exception e = assertThrows(Exception.class, c::run);
        String m = oneLine(e);
        assertTrue(m.contains(part), "message '" + m + "' should contain '" + part + "'");
    }

    static JsonNode config(String fixture) throws Exception {
        return BackboneConfig.JSON.readTree(Files.readAllBytes(fixture(fixture).resolve("config.json")));
    }

    static String configError(Consumer<ObjectNode> change) throws Exception {
        ObjectNode root = (ObjectNode) config("ps");
        change.accept(root);
        return oneLine(assertThrows(IllegalArgumentException.class, () -> BackboneConfig.parse(root, "config.json")));
    }

    static ObjectNode eagle(ObjectNode r) { return (ObjectNode) r.get("eagle_config"); }

    static ObjectNode vision(ObjectNode r) { return (ObjectNode) eagle(r).get("vision_config"); }

    static ObjectNode text(ObjectNode r) { return (ObjectNode) eagle(r).get("text_config"); }

    @Test
    void configRefusalsNameTheKey() throws Exception {
        Map<String, Consumer<ObjectNode>> bad = new LinkedHashMap<>();
        bad.put("model_type", r -> r.put("model_type", "dust"));
        bad.put("eagle_config.vision_config.model_type", r -> vision(r).put("model_type", "siglip2_vision_model"));
        bad.put("eagle_config.text_config.architectures", r -> text(r).putArray("architectures").add("LlamaForCausalLM"));
        bad.put("eagle_config.vision_config.hidden_act", r -> vision(r).put("hidden_act", "gelu"));
        bad.put("eagle_config.text_config.hidden_act", r -> text(r).put("hidden_act", "gelu"));
        bad.put("eagle_config.text_config.attention_bias", r -> text(r).put("attention_bias", true));
        bad.put("eagle_config.text_config.rope_scaling", r -> text(r).putObject("rope_scaling").put("type", "linear"));
        bad.put("eagle_config.text_config.use_sliding_window", r -> text(r).put("use_sliding_window", true));
        bad.put("eagle_config.use_backbone_lora", r -> eagle(r).put("use_backbone_lora", 8));
        bad.put("eagle_config.use_llm_lora", r -> eagle(r).put("use_llm_lora", 1));
        bad.put("backbone_cfg.reproject_vision", r -> ((ObjectNode) r.get("backbone_cfg")).put("reproject_vision", true));
        bad.put("eagle_config.vision_config.num_channels", r -> vision(r).put("num_channels", 1));
        bad.put("eagle_config.vision_config.hidden_size", r -> vision(r).put("hidden_size", 50));
        bad.put("eagle_config.text_config.num_attention_heads", r -> text(r).put("num_key_value_heads", 3));
        bad.put("eagle_config.text_config.head_dim", r -> text(r).put("head_dim", 21));
        bad.put("eagle_config.downsample_ratio", r -> eagle(r).put("downsample_ratio", 0.3));
        bad.put("eagle_config.downsample_ratio ", r -> eagle(r).put("downsample_ratio", 1.0 / 3));   // 3 does not divide G = 4
        bad.put("eagle_config.mlp_connector_layers", r -> eagle(r).put("use_pixel_shuffle", false).put("mlp_connector_layers", 2));
        bad.put("eagle_config.force_image_size", r -> eagle(r).put("force_image_size", 224));
        bad.put("eagle_config.image_token_index", r -> eagle(r).put("image_token_index", 200));
        bad.put("backbone_cfg.select_layer", r -> ((ObjectNode) r.get("backbone_cfg")).put("select_layer", 5));
        bad.put("backbone_cfg.select_layer ", r -> ((ObjectNode) r.get("backbone_cfg")).put("select_layer", 0));
        bad.put("eagle_config.select_layer", r -> eagle(r).put("select_layer", -5));
        bad.put("eagle_config.select_layer ", r -> eagle(r).put("select_layer", 4));
        for (Map.Entry<String, Consumer<ObjectNode>> e : bad.entrySet()) {
            String msg = configError(e.getValue());
            assertTrue(msg.startsWith("config.json: ") && msg.contains(e.getKey().trim()), e.getKey() + " -> " + msg);
        }
        // accepted edge values: vision select_layer at both ends, force_image_size null, head_dim null with D/H even
        for (Consumer<ObjectNode> ok : java.util.List.<Consumer<ObjectNode>>of(r -> eagle(r).put("select_layer", -4),
                r -> eagle(r).put("select_layer", 3), r -> eagle(r).putNull("force_image_size"), r -> text(r).putNull("head_dim"),
                r -> eagle(r).put("use_backbone_lora", false))) {
            ObjectNode root = (ObjectNode) config("ps");
            ok.accept(root);
            BackboneConfig.parse(root, "config.json");
        }
    }

    @Test
    void missingKeysTakeTheN15Values() {
        BackboneConfig c = BackboneConfig.n15();
        assertEquals(new BackboneConfig(224, 14, 1152, 16, 4304, 27, 1e-6, 1, 1, -1, 151669, 2048, 16, 8, 128, 6144, 28, 151680,
                1e6, 1e-6, 12, 0), c);
        assertEquals(256, c.imageTokens());
        assertEquals(2048, c.outWidth());
        long params = 0;
        for (long[] s : BackboneWeights.required(c, BackboneWeights.EMBED).values()) {
            long n = 1;
            for (long x : s) n *= x;
            params += n;
        }
        assertEquals(573, BackboneWeights.required(c, BackboneWeights.EMBED).size(), "tensor count of section 3");
        assertEquals(1_329_478_384L, params, "parameter count of section 3");
    }

    @Test
    void erfMatchesPublishedValues() {
        double[][] v = {{0, 0}, {0.5, 0.5204998778130465}, {1, 0.8427007929497149}, {-1.5, -0.9661051464753108},
                {2, 0.9953222650189527}, {2.5, 0.9995930479825550}, {3, 0.9999779095030014}, {4, 0.9999999845827421}, {8, 1}};
        for (double[] p : v) assertEquals(p[1], Erf.erf(p[0]), 2e-15, "erf(" + p[0] + ")");
    }
}
