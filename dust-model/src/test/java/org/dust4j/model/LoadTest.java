package org.dust4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.dust4j.tensor.Tensor;
import org.dust4j.weights.SafetensorsException;
import org.dust4j.weights.SafetensorsWriter;
import org.dust4j.weights.StateDict;
import org.dust4j.weights.TensorSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Model directories: names with the action_head. prefix, gr00t backbone tensors skipped, every problem listed at once. */
class LoadTest {
    static void writeDir(Path dir, String configJson, Map<String, Tensor> tensors) throws Exception {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), configJson);
        SafetensorsWriter w = new SafetensorsWriter();
        tensors.forEach(w::put);
        w.write(dir.resolve("model.safetensors"));
    }

    @Test
    void gr00tBackboneTensorsAreIgnoredAndReported(@TempDir Path tmp) throws Exception {
        Path src = Fixtures.dir("gr00t");
        Map<String, Tensor> t = Fixtures.read(src.resolve("model.safetensors"));
        t.put("backbone.eagle_model.mlp1.0.weight", Tensor.zeros(4, 2));
        writeDir(tmp.resolve("g"), Files.readString(src.resolve("config.json")), t);
        PolicyModel m = PolicyModel.create(ModelConfig.read(tmp.resolve("g")), 0);
        try (TensorSource s = TensorSource.open(tmp.resolve("g"))) {
            var report = m.loadWeights(s);
            assertEquals(java.util.List.of("backbone.eagle_model.mlp1.0.weight"), report.ignored());
            assertEquals(t.size() - 1, report.loaded().size());
        }
        assertArrayEquals(t.get("action_head.future_tokens.weight").toFloatArray(),
                m.namedParameters().get("future_tokens.weight").value().toFloatArray());
    }

    @Test
    void missingUnexpectedAndMisshapenTensorsAreListedTogether(@TempDir Path tmp) throws Exception {
        Path src = Fixtures.dir("dust-dual");
        Map<String, Tensor> t = Fixtures.read(src.resolve("model.safetensors"));
        t.remove("action_head.model.proj_out_2.bias");
        t.put("action_head.future_tokens.weight", Tensor.zeros(3, 16));             // not a dust tensor (A3)
        t.put("action_head.vlln.weight", Tensor.zeros(17));
        writeDir(tmp.resolve("d"), Files.readString(src.resolve("config.json")), t);
        var e = assertThrows(SafetensorsException.class, () -> PolicyModel.load(tmp.resolve("d")));
        String msg = e.getMessage();
        assertTrue(msg.contains("model.proj_out_2.bias") && msg.contains("action_head.future_tokens.weight")
                && msg.contains("vlln.weight: model [16] vs checkpoint [17]"), msg);
        assertTrue(!msg.contains("\n"), "one line: " + msg);
    }

    /** save then load gives the same parameters; the file uses the action_head. prefix and the config round-trips. */
    @Test
    void saveLoadRoundTrip(@TempDir Path tmp) throws Exception {
        PolicyModel m = PolicyModel.create(TestData.tiny("\"architecture\": \"single_stream\""), 4);
        m.save(tmp.resolve("m"));
        PolicyModel back = PolicyModel.load(tmp.resolve("m"));
        assertEquals(m.config(), back.config());
        for (var e : m.namedParameters().entrySet()) {
            assertArrayEquals(e.getValue().value().toFloatArray(), back.namedParameters().get(e.getKey()).value().toFloatArray(), e.getKey());
        }
        try (TensorSource s = TensorSource.open(tmp.resolve("m"))) {
            assertTrue(s.names().stream().allMatch(n -> n.startsWith(PolicyModel.PREFIX)));
            assertEquals(m.namedParameters().size(), s.names().size());
        }
    }

    /** The parameter names are exactly the fixture's (i.e. contract section 3 as the reference reads it). */
    @Test
    void parameterNamesMatchTheReference() throws Exception {
        for (String v : new String[] {"dust-dual", "dust-single", "gr00t"}) {
            Path d = Fixtures.dir(v);
            PolicyModel m = PolicyModel.create(ModelConfig.read(d), 0);
            try (TensorSource s = TensorSource.open(d)) {
                java.util.Set<String> want = new java.util.TreeSet<>(s.names());
                java.util.Set<String> got = new java.util.TreeSet<>();
                m.namedParameters().keySet().forEach(k -> got.add(PolicyModel.PREFIX + k));
                assertEquals(want, got, v);
            }
        }
    }

    /** Two shards holding one tensor: refused on load (as inspect refuses it), naming the tensor; it used to load. */
    @Test
    void shardsHoldingOneTensorTwiceAreRefused(@TempDir Path tmp) throws Exception {
        PolicyModel m = PolicyModel.create(TestData.tiny(), 4);
        Path d = tmp.resolve("sharded");
        Files.createDirectories(d);
        Files.writeString(d.resolve("config.json"), m.config().toJson());
        StateDict.save(m.slots(), d, PolicyModel.PREFIX, null, null, 4096);
        PolicyModel.load(d);                                           // a clean sharded directory loads
        var index = org.dust4j.weights.ShardedCheckpoint.open(d.resolve(org.dust4j.weights.ShardedCheckpoint.INDEX_NAME));
        String name = index.names().iterator().next(), home = index.weightMap().get(name);
        String other = index.shardNames().stream().filter(f -> !f.equals(home)).findFirst().orElseThrow();
        java.util.Map<String, Tensor> t = new java.util.LinkedHashMap<>();
        try (var f = org.dust4j.weights.SafetensorsFile.open(d.resolve(other))) {
            for (String n : f.names()) t.put(n, f.toTensor(n));
        }
        index.close();
        try (var f = org.dust4j.weights.SafetensorsFile.open(d.resolve(home))) {
            t.put(name, f.toTensor(name));
        }
        org.dust4j.weights.SafetensorsWriter w = new org.dust4j.weights.SafetensorsWriter();
        t.forEach(w::put);
        w.write(d.resolve(other));
        var e = assertThrows(SafetensorsException.class, () -> PolicyModel.load(d));
        assertTrue(e.getMessage().contains(name) && e.getMessage().contains(other), e.getMessage());
    }
}
