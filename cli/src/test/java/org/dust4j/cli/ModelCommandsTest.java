package org.dust4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.dust4j.model.PolicyModel;
import org.dust4j.tensor.Tensor;
import org.dust4j.weights.SafeDType;
import org.dust4j.weights.SafetensorsFile;
import org.dust4j.weights.SafetensorsWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The section 7 commands on the PyTorch fixtures (testdata/model), their error cases, and init. */
class ModelCommandsTest {
    record Result(int code, String out, String err) {}

    static Result run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Result(code, out.toString(), err.toString());
    }

    static Path repo() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !p.resolve("testdata/model").toFile().isDirectory()) p = p.getParent();
        if (p == null) throw new IllegalStateException("testdata/model not found above " + Path.of("").toAbsolutePath());
        return p;
    }

    static Path fixture(String variant, String file) {
        return repo().resolve("testdata/model").resolve(variant).resolve(file);
    }

    static Map<String, Tensor> read(Path f) throws Exception {
        try (SafetensorsFile s = SafetensorsFile.open(f)) {
            Map<String, Tensor> m = new LinkedHashMap<>();
            for (String n : s.names()) m.put(n, s.toTensor(n));
            return m;
        }
    }

    /** |got - want| <= 2·f64dev + 1e-5·|want|: the fixture's own float32 error as floor (see ParityTest in dust-model). */
    static void assertClose(Path wantFile, Map<String, Tensor> got) throws Exception {
        Map<String, Tensor> want = read(wantFile);
        Map<String, String> md;
        try (SafetensorsFile s = SafetensorsFile.open(wantFile)) {
            md = s.metadata();
        }
        for (String k : want.keySet()) {
            String dev = md.get("f64dev." + k);
            double atol = 2 * Double.parseDouble(dev.split(" ")[0].substring(4));
            float[] g = got.get(k).toFloatArray(), w = want.get(k).toFloatArray();
            assertEquals(w.length, g.length, k);
            for (int i = 0; i < w.length; i++) {
                assertTrue(Math.abs(g[i] - w[i]) <= atol + 1e-5 * Math.abs(w[i]), k + "[" + i + "] " + g[i] + " vs " + w[i]);
            }
        }
    }

    @Test
    void forwardLossSampleMatchTheFixtures(@TempDir Path tmp) throws Exception {
        String model = fixture("dust-dual", "").toString();
        Path out = tmp.resolve("f.safetensors");
        Result r = run("forward", "--model", model, "--inputs", fixture("dust-dual", "forward_in.safetensors").toString(), "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertClose(fixture("dust-dual", "forward_out.safetensors"), read(out));

        Path lo = tmp.resolve("l.safetensors");
        r = run("loss", "--model", model, "--inputs", fixture("dust-dual", "loss_in.safetensors").toString(), "--out", lo.toString());
        assertEquals(0, r.code(), r.err());
        Map<String, Tensor> l = read(lo);
        Map<String, Tensor> want = read(fixture("dust-dual", "loss_out.safetensors"));
        for (String k : new String[] {"loss", "loss_action", "loss_wm"}) {
            assertEquals(want.get(k).toFloatArray()[0], l.get(k).toFloatArray()[0], 1e-5 * Math.abs(want.get(k).toFloatArray()[0]), k);
        }

        Path so = tmp.resolve("s.safetensors");
        r = run("sample", "--model", model, "--inputs", fixture("dust-dual", "sample_in.safetensors").toString(), "--out", so.toString(),
                "--action-steps", "4", "--q", "4", "--variant", "start");
        assertEquals(0, r.code(), r.err());
        assertClose(fixture("dust-dual", "sample_out_q4_start.safetensors"), read(so));
        r = run("sample", "--model", model, "--inputs", fixture("dust-dual", "sample_in.safetensors").toString(), "--out", so.toString(),
                "--q", "2", "--variant", "end");
        assertEquals(0, r.code(), r.err());
        assertClose(fixture("dust-dual", "sample_out_q2_end.safetensors"), read(so));

        Path g = tmp.resolve("g.safetensors");
        String gm = fixture("gr00t", "").toString();
        r = run("sample", "--model", gm, "--inputs", fixture("gr00t", "sample_in.safetensors").toString(), "--out", g.toString());
        assertEquals(0, r.code(), r.err());
        assertClose(fixture("gr00t", "sample_out.safetensors"), read(g));
        assertEquals(java.util.Set.of("actions"), read(g).keySet());
        r = run("forward", "--model", gm, "--inputs", fixture("gr00t", "forward_in.safetensors").toString(), "--out", g.toString());
        assertEquals(0, r.code(), r.err());
        assertClose(fixture("gr00t", "forward_out.safetensors"), read(g));
    }

    /** Writes the dust-dual forward inputs with one change, runs forward, expects exit 1, one line naming things, no output. */
    Result failing(Path tmp, Map<String, Tensor> in, Map<String, SafeDType> as, String model) throws Exception {
        Path f = tmp.resolve("in.safetensors");
        SafetensorsWriter w = new SafetensorsWriter();
        in.forEach((k, v) -> w.put(k, v, as.getOrDefault(k, SafeDType.of(v.dtype()))));
        w.write(f);
        Path out = tmp.resolve("never.safetensors");
        Result r = run("forward", "--model", model, "--inputs", f.toString(), "--out", out.toString());
        assertEquals(1, r.code(), r.err());
        assertFalse(Files.exists(out), "nothing written on error");
        assertTrue(r.err().startsWith("dust4j: error: "), r.err());
        return r;
    }

    static String firstLine(Result r) {
        return r.err().lines().findFirst().orElse("");
    }

    @Test
    void inputErrorsAreOneLineNamingTheTensorAndShapes(@TempDir Path tmp) throws Exception {
        String model = fixture("dust-dual", "").toString();
        Map<String, Tensor> good = read(fixture("dust-dual", "forward_in.safetensors"));

        Map<String, Tensor> missing = new LinkedHashMap<>(good);
        missing.remove("state");
        assertEquals("dust4j: error: forward: input 'state' is missing (expected [2, 1, 5] F32/F16/BF16)",
                firstLine(failing(tmp, missing, Map.of(), model)));

        Map<String, Tensor> shape = new LinkedHashMap<>(good);
        shape.put("state", Tensor.zeros(2, 1, 7));
        assertEquals("dust4j: error: forward: input 'state' has shape [2, 1, 7] but the model expects [2, 1, 5]",
                firstLine(failing(tmp, shape, Map.of(), model)));

        Map<String, Tensor> dtype = new LinkedHashMap<>(good);
        dtype.put("t_action", Tensor.of(new float[] {250, 999}, 2));
        assertEquals("dust4j: error: forward: input 't_action' [2] has dtype F32 but I64 or I32 is expected",
                firstLine(failing(tmp, dtype, Map.of(), model)));

        // model/input mismatch: gr00t inputs (wider vl, no vision) for the dust model
        Map<String, Tensor> wrongModel = read(fixture("gr00t", "forward_in.safetensors"));
        wrongModel.put("vl", Tensor.zeros(2, 5, 24));
        assertEquals("dust4j: error: forward: input 'vl' has shape [2, 5, 24] but the model expects [2, 5, 16]",
                firstLine(failing(tmp, wrongModel, Map.of(), model)));

        Map<String, Tensor> badId = new LinkedHashMap<>(good);
        badId.put("embodiment_id", Tensor.ofLongs(new long[] {0, 3}, 2));
        assertTrue(firstLine(failing(tmp, badId, Map.of(), model)).contains("'embodiment_id': value 3 at [1] is out of range [0, 3)"));

        // BF16 / I32 inputs are accepted
        Map<String, Tensor> bf = new LinkedHashMap<>(good);
        bf.put("t_action", Tensor.ofInts(new int[] {250, 999}, 2));
        Path f = tmp.resolve("bf.safetensors");
        SafetensorsWriter w = new SafetensorsWriter();
        bf.forEach((k, v) -> w.put(k, v, v.dtype().isFloating() ? SafeDType.BF16 : SafeDType.of(v.dtype())));
        w.write(f);
        Result ok = run("forward", "--model", model, "--inputs", f.toString(), "--out", tmp.resolve("bf-out.safetensors").toString());
        assertEquals(0, ok.code(), ok.err());

        Result noModel = run("forward", "--model", tmp.resolve("nope").toString(), "--inputs", f.toString(), "--out", tmp.resolve("x").toString());
        assertEquals(1, noModel.code());
        assertTrue(firstLine(noModel).contains("is not a directory"), noModel.err());

        Result gq = run("sample", "--model", fixture("gr00t", "").toString(), "--inputs", fixture("gr00t", "sample_in.safetensors").toString(),
                "--out", tmp.resolve("x").toString(), "--q", "2");
        assertEquals(1, gq.code());
        assertTrue(firstLine(gq).contains("--q and --variant do not apply"), gq.err());
    }

    @Test
    void initWritesALoadableModel(@TempDir Path tmp) throws Exception {
        Path cfg = repo().resolve("configs/dust-tiny.json");
        Path d = tmp.resolve("m");
        Result r = run("init", "--config", cfg.toString(), "--out", d.toString(), "--seed", "3");
        assertEquals(0, r.code(), r.err());
        PolicyModel m = PolicyModel.load(d);
        float[] ada = m.namedParameters().get("model.joint_blocks.0.norm1.linear.weight").value().toFloatArray();
        for (float v : ada) assertEquals(0f, v);
        float[] q = m.namedParameters().get("model.joint_blocks.0.attn.to_q.weight").value().toFloatArray();
        float bound = (float) (1 / Math.sqrt(16));
        boolean nonzero = false;
        for (float v : q) {
            assertTrue(Math.abs(v) <= bound, "torch Linear default U(-1/sqrt(in), 1/sqrt(in))");
            nonzero |= v != 0;
        }
        assertTrue(nonzero);
        try (SafetensorsFile f = SafetensorsFile.open(d.resolve("model.safetensors"))) {
            assertTrue(f.names().stream().allMatch(n -> n.startsWith("action_head.")));
        }
        Result again = run("init", "--config", cfg.toString(), "--out", d.toString());
        assertEquals(1, again.code(), "refuses to overwrite");

        Path d2 = tmp.resolve("m2");
        assertEquals(0, run("init", "--config", cfg.toString(),
                "--out", d2.toString(), "--seed", "3", "--no-zero-adaln").code());
        float[] ada2 = PolicyModel.load(d2).namedParameters().get("model.joint_blocks.0.norm1.linear.weight").value().toFloatArray();
        assertTrue(ada2[0] != 0f, "--no-zero-adaln keeps them random");
        // the same seed gives the same weights
        float[] q2 = PolicyModel.load(d2).namedParameters().get("model.joint_blocks.0.attn.to_q.weight").value().toFloatArray();
        assertEquals(q[0], q2[0]);
    }
}
