package org.dust4j.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.dust4j.tensor.DType;
import org.dust4j.tensor.Half;
import org.dust4j.tensor.Tensor;
import org.dust4j.weights.SafetensorsException.Rule;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** State-dict binding by exact name: strict and non-strict, dtype conversion, prefixes, save and reload. */
class StateDictTest {

    /** A stand-in for autograd's Var: a mutable holder. */
    static final class Holder {
        Tensor t;

        Holder(Tensor t) { this.t = t; }
    }

    static Map<String, Holder> model() {
        Map<String, Holder> m = new LinkedHashMap<>();
        m.put("blocks.0.attn.to_q.weight", new Holder(Tensor.zeros(2, 3)));
        m.put("blocks.0.attn.to_q.bias", new Holder(Tensor.zeros(2)));
        m.put("norm.weight", new Holder(Tensor.zeros(3)));
        return m;
    }

    static Map<String, StateDict.Slot> slots(Map<String, Holder> m) {
        return StateDict.slots(m, h -> h.t, (h, t) -> h.t = t);
    }

    @Test
    void saveThenStrictLoadRestoresEveryParameter(@TempDir Path dir) throws Exception {
        Map<String, Holder> src = model();
        src.get("blocks.0.attn.to_q.weight").t = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        src.get("blocks.0.attn.to_q.bias").t = Tensor.of(new float[] {-1, 1}, 2);
        src.get("norm.weight").t = Tensor.of(new float[] {0.5f, 0.25f, 2}, 3);
        Path p = StateDict.save(slots(src), dir.resolve("m.safetensors"), null, null, Map.of("format", "pt"), 0);
        try (TensorSource s = TensorSource.open(p)) {
            assertEquals(List.copyOf(src.keySet()).stream().sorted().toList(), s.names().stream().sorted().toList());
            Map<String, Holder> dst = model();
            StateDict.Report r = StateDict.load(s, slots(dst));
            assertTrue(r.clean());
            assertEquals(3, r.loaded().size());
            for (String n : src.keySet()) assertArrayEquals(src.get(n).t.toFloatArray(), dst.get(n).t.toFloatArray(), n);
        }
    }

    @Test
    void strictListsEveryProblemInOneErrorAndLoadsNothing(@TempDir Path dir) throws Exception {
        Path p = dir.resolve("c.safetensors");
        new SafetensorsWriter()
                .put("blocks.0.attn.to_q.weight", Tensor.zeros(3, 2))   // wrong shape
                .put("norm.weight", Tensor.full(7f, 3))                 // fine
                .put("extra.weight", Tensor.zeros(1))                   // unexpected
                .write(p);                                              // bias missing
        try (TensorSource s = TensorSource.open(p)) {
            Map<String, Holder> m = model();
            Tensor before = m.get("norm.weight").t;
            SafetensorsException e = assertThrows(SafetensorsException.class, () -> StateDict.load(s, slots(m)));
            assertEquals(Rule.STATE_DICT, e.rule());
            String msg = e.getMessage();
            assertTrue(msg.contains("1 missing [blocks.0.attn.to_q.bias]"), msg);
            assertTrue(msg.contains("1 unexpected [extra.weight]"), msg);
            assertTrue(msg.contains("blocks.0.attn.to_q.weight: model [2, 3] vs checkpoint [3, 2]"), msg);
            assertTrue(!msg.contains("\n"));
            assertSame(before, m.get("norm.weight").t, "strict failure loads nothing");

            StateDict.Report r = StateDict.load(s, slots(m), StateDict.Options.strictDefaults().strict(false));
            assertEquals(List.of("norm.weight"), r.loaded());
            assertEquals(List.of("blocks.0.attn.to_q.bias"), r.missing());
            assertEquals(List.of("extra.weight"), r.unexpected());
            assertEquals(1, r.wrongShape().size());
            assertArrayEquals(new float[] {7, 7, 7}, m.get("norm.weight").t.toFloatArray());
        }
    }

    @Test
    void convertsDtypeAtLoadAndMapsPrefixes(@TempDir Path dir) throws Exception {
        Path p = dir.resolve("c.safetensors");
        new SafetensorsWriter()
                .put("action_head.norm.weight", Tensor.of(new float[] {1.1f, 2.2f, 3.3f}, 3), SafeDType.BF16)
                .put("backbone.vision.weight", Tensor.zeros(4))
                .write(p);
        try (TensorSource s = TensorSource.open(p)) {
            Map<String, Tensor> m = new LinkedHashMap<>();
            m.put("head.norm.weight", Tensor.zeros(3));             // F32 target: BF16 decoded
            StateDict.Options o = StateDict.Options.strictDefaults().stripPrefix("action_head.").addPrefix("head.").ignorePrefix("backbone.");
            StateDict.Report r = StateDict.load(s, StateDict.slots(m), o);
            assertEquals(List.of("backbone.vision.weight"), r.ignored());
            assertEquals(DType.F32, m.get("head.norm.weight").dtype());
            float[] got = m.get("head.norm.weight").toFloatArray();
            float[] want = {1.1f, 2.2f, 3.3f};
            for (int i = 0; i < 3; i++) assertEquals(Half.bf16ToFloat(Half.floatToBf16(want[i])), got[i]);
            // a BF16 parameter keeps the stored bits
            m.put("head.norm.weight", Tensor.zeros(DType.BF16, 3));
            StateDict.load(s, StateDict.slots(m), o);
            assertEquals(DType.BF16, m.get("head.norm.weight").dtype());
            // without the ignore rule the backbone tensor is unexpected
            StateDict.Options noIgnore = StateDict.Options.strictDefaults().stripPrefix("action_head.").addPrefix("head.");
            SafetensorsException e = assertThrows(SafetensorsException.class, () -> StateDict.load(s, StateDict.slots(m), noIgnore));
            assertTrue(e.getMessage().contains("unexpected [backbone.vision.weight]"), e.getMessage());
        }
    }

    @Test
    void shardedSaveAndLoad(@TempDir Path dir) throws Exception {
        Map<String, Holder> src = model();
        src.get("norm.weight").t = Tensor.of(new float[] {1, 2, 3}, 3);
        Path out = StateDict.save(slots(src), dir, "action_head.", SafeDType.BF16, null, 16);
        assertEquals(dir.resolve(ShardedCheckpoint.INDEX_NAME), out);
        try (TensorSource s = TensorSource.open(dir)) {
            assertTrue(s.contains("action_head.norm.weight"));
            assertEquals(SafeDType.BF16, s.info("action_head.norm.weight").dtype());
            Map<String, Holder> dst = model();
            StateDict.load(s, slots(dst), StateDict.Options.strictDefaults().stripPrefix("action_head."));
            assertArrayEquals(new float[] {1, 2, 3}, dst.get("norm.weight").t.toFloatArray());
        }
    }

    /** A real autograd module: save, load into a differently seeded twin, identical parameters and outputs. */
    @Test
    void autogradModuleRoundTrip(@TempDir Path dir) throws Exception {
        org.dust4j.autograd.nn.Attention a = new org.dust4j.autograd.nn.Attention(8, null, 2, 4, true, true, 0f, new org.dust4j.autograd.nn.ParamInit(1));
        org.dust4j.autograd.nn.Attention b = new org.dust4j.autograd.nn.Attention(8, null, 2, 4, true, true, 0f, new org.dust4j.autograd.nn.ParamInit(2));
        Path p = StateDict.save(StateDict.slots(a), dir.resolve("attn.safetensors"), null, null, null, 0);
        try (TensorSource s = TensorSource.open(p)) {
            assertTrue(s.contains("to_out.0.weight") && s.contains("to_q.bias"), s.names().toString());
            StateDict.Report r = StateDict.load(s, StateDict.slots(b));
            assertEquals(a.namedParameters().size(), r.loaded().size());
        }
        a.namedParameters().forEach((n, v) -> assertArrayEquals(v.value().toFloatArray(), b.namedParameters().get(n).value().toFloatArray(), n));
        a.eval();
        b.eval();
        Tensor x = Tensor.of(ShardedTest.seq(3 * 8), 1, 3, 8);
        assertArrayEquals(a.forward(org.dust4j.autograd.Var.constant(x)).value().toFloatArray(),
                b.forward(org.dust4j.autograd.Var.constant(x)).value().toFloatArray());
    }
}
