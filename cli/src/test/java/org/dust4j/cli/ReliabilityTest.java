package org.dust4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.dust4j.cli.ModelCommandsTest.Result;
import org.dust4j.tensor.Tensor;
import org.dust4j.weights.SafeDType;
import org.dust4j.weights.SafetensorsWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The numbered bugs of issue 13 that the CLI shows, and its bounds: each case is one error line and writes nothing. */
class ReliabilityTest {
    static Result run(String... args) {
        return ModelCommandsTest.run(args);
    }

    static void assertOneLineError(Result r, int code, String... parts) {
        assertEquals(code, r.code(), r.err());
        String first = r.err().lines().findFirst().orElse("");
        assertTrue(first.startsWith("dust4j: error: "), r.err());
        for (String p : parts) assertTrue(first.contains(p), "'" + p + "' missing from: " + first);
        assertTrue(r.err().lines().count() <= 2, "one error line (+ the --stacktrace hint): " + r.err());
        assertTrue(first.length() < 1200, "short: " + first.length());
    }

    static Path write(Path f, Map<String, Tensor> t) throws Exception {
        SafetensorsWriter w = new SafetensorsWriter();
        t.forEach((k, v) -> w.put(k, v, SafeDType.of(v.dtype())));
        w.write(f);
        return f;
    }

    /** Bug 2: q x N_A overflowing an int made sample return its input noise with exit 0. */
    @Test
    void hugeQIsRefused(@TempDir Path tmp) {
        String model = ModelCommandsTest.fixture("dust-dual", "").toString(), in = ModelCommandsTest.fixture("dust-dual", "sample_in.safetensors").toString();
        Path out = tmp.resolve("s.safetensors");
        assertOneLineError(run("sample", "--model", model, "--inputs", in, "--out", out.toString(), "--q", "1073741824"), 2, "--q", "1073741824");
        assertOneLineError(run("sample", "--model", model, "--inputs", in, "--out", out.toString(), "--q", "60000", "--action-steps", "4"), 1,
                "60000 x 4");
        assertOneLineError(run("sample", "--model", model, "--inputs", in, "--out", out.toString(), "--q", "99999999999"), 2, "--q");
        assertFalse(Files.exists(out));
    }

    /** Bug 3: NaN inputs are refused naming the tensor; with --allow-non-finite they propagate (ReLU no longer maps NaN to 0). */
    @Test
    void nonFiniteInputsAreRefusedOrPropagate(@TempDir Path tmp) throws Exception {
        String model = ModelCommandsTest.fixture("gr00t", "").toString();
        Map<String, Tensor> in = new LinkedHashMap<>(ModelCommandsTest.read(ModelCommandsTest.fixture("gr00t", "forward_in.safetensors")));
        float[] st = in.get("state").toFloatArray();
        st[1] = Float.NaN;
        in.put("state", Tensor.of(st, in.get("state").shape()));
        Path f = write(tmp.resolve("nan.safetensors"), in), out = tmp.resolve("o.safetensors");
        assertOneLineError(run("forward", "--model", model, "--inputs", f.toString(), "--out", out.toString()), 1, "'state'", "NaN",
                "--allow-non-finite");
        assertFalse(Files.exists(out));
        Result ok = run("forward", "--model", model, "--inputs", f.toString(), "--out", out.toString(), "--allow-non-finite");
        assertEquals(0, ok.code(), ok.err());
        float[] v = ModelCommandsTest.read(out).values().iterator().next().toFloatArray();
        int nan = 0;
        for (float x : v) if (Float.isNaN(x)) nan++;
        assertTrue(nan > 0, "the NaN in sample 0's state reaches its outputs (the state encoder is a ReLU MLP)");
        // loss with a NaN tau
        Map<String, Tensor> li = new LinkedHashMap<>(ModelCommandsTest.read(ModelCommandsTest.fixture("gr00t", "loss_in.safetensors")));
        String tauName = li.containsKey("tau") ? "tau" : li.keySet().stream().filter(k -> k.startsWith("tau")).findFirst().orElseThrow();
        float[] tau = li.get(tauName).toFloatArray();
        tau[0] = Float.NaN;
        li.put(tauName, Tensor.of(tau, li.get(tauName).shape()));
        Path lf = write(tmp.resolve("nan-tau.safetensors"), li);
        assertOneLineError(run("loss", "--model", model, "--inputs", lf.toString(), "--out", out.toString() + "2"), 1, "'" + tauName + "'", "NaN");
    }

    /** Bug 8: loss with batch 0 printed "/ by zero". */
    @Test
    void lossOfAnEmptyBatchIsOneLine(@TempDir Path tmp) throws Exception {
        Map<String, Tensor> in = new LinkedHashMap<>();
        ModelCommandsTest.read(ModelCommandsTest.fixture("dust-dual", "loss_in.safetensors")).forEach((k, v) -> {
            int[] s = v.shape().clone();
            if (s.length > 0) s[0] = 0;
            in.put(k, v.dtype().isFloating() ? Tensor.zeros(s) : Tensor.ofLongs(new long[0], s));
        });
        Path f = write(tmp.resolve("empty.safetensors"), in), out = tmp.resolve("o.safetensors");
        Result r = run("loss", "--model", ModelCommandsTest.fixture("dust-dual", "").toString(), "--inputs", f.toString(), "--out", out.toString());
        assertOneLineError(r, 1, "batch size 0");
        assertFalse(r.err().contains("by zero"), r.err());
        assertFalse(Files.exists(out));
    }

    /** Bug 4 (CLI half): --lr 1e39 parsed to Infinity and was accepted. */
    @Test
    void nonFiniteAndOutOfRangeNumbersAreRefused(@TempDir Path tmp) {
        String data = tmp.resolve("no-data").toString(), out = tmp.resolve("run").toString();
        assertOneLineError(run("train", "--data", data, "--out", out, "--lr", "1e39"), 2, "--lr", "1e39", "finite");
        assertOneLineError(run("train", "--data", data, "--out", out, "--lr", "NaN"), 2, "--lr", "finite");
        assertOneLineError(run("train", "--data", data, "--out", out, "--lr", "0"), 2, "--lr", "out of range");
        assertOneLineError(run("train", "--data", data, "--out", out, "--steps", "-3"), 2, "--steps", "out of range");
        assertOneLineError(run("train", "--data", data, "--out", out, "--batch-size", "0"), 2, "--batch-size");
        assertOneLineError(run("train", "--data", data, "--out", out, "--checkpoint-every", "2147483648"), 2, "--checkpoint-every");
        assertOneLineError(run("eval", "--model", data, "--threads", "100000"), 2, "--threads");
        assertFalse(Files.exists(tmp.resolve("run")), "nothing created");
    }

    /** --out may not overwrite the inputs or the model's own files. */
    @Test
    void outMayNotOverwriteInputsOrTheModel(@TempDir Path tmp) throws Exception {
        Path model = tmp.resolve("m");
        Files.createDirectories(model);
        Path src = ModelCommandsTest.fixture("gr00t", "");
        for (String f : new String[] {"config.json", "model.safetensors"}) Files.copy(src.resolve(f), model.resolve(f));
        byte[] weights = Files.readAllBytes(model.resolve("model.safetensors"));
        Path in = tmp.resolve("in.safetensors");
        Files.copy(ModelCommandsTest.fixture("gr00t", "forward_in.safetensors"), in);
        byte[] inputs = Files.readAllBytes(in);
        assertOneLineError(run("forward", "--model", model.toString(), "--inputs", in.toString(), "--out", model.resolve("model.safetensors").toString()), 1,
                "model directory");
        assertOneLineError(run("forward", "--model", model.toString(), "--inputs", in.toString(), "--out", model.resolve("./config.json").toString()), 1,
                "model directory");
        assertOneLineError(run("sample", "--model", model.toString(), "--inputs", in.toString(), "--out", tmp.resolve("x/../in.safetensors").toString()), 1,
                "--inputs file");
        assertEquals(java.util.Arrays.hashCode(weights), java.util.Arrays.hashCode(Files.readAllBytes(model.resolve("model.safetensors"))));
        assertEquals(java.util.Arrays.hashCode(inputs), java.util.Arrays.hashCode(Files.readAllBytes(in)));
        assertOneLineError(run("eval", "--model", model.toString(), "--out", model.resolve("config.json").toString()), 1, "model directory");
        assertEquals(java.util.Arrays.hashCode(weights), java.util.Arrays.hashCode(Files.readAllBytes(model.resolve("model.safetensors"))));
        Result ok = run("forward", "--model", model.toString(), "--inputs", in.toString(), "--out", model.resolve("velocities.safetensors").toString());
        assertEquals(0, ok.code(), ok.err());
    }

    /** Bug 6: a config linked to /dev/zero, and absurd sizes, are one quick line, not an OutOfMemoryError minutes later. */
    @Test
    void unboundedConfigsAreRefusedBeforeWork(@TempDir Path tmp) throws Exception {
        Path dz = tmp.resolve("dz.json");
        Files.createSymbolicLink(dz, Path.of("/dev/zero"));
        long t0 = System.nanoTime();
        assertOneLineError(run("init", "--config", dz.toString(), "--out", tmp.resolve("a").toString()), 1, "not a regular file");
        Path layers = tmp.resolve("layers.json");
        Files.writeString(layers, "{\"model_type\": \"dust\", \"num_joint_layers\": 1000000}");
        assertOneLineError(run("init", "--config", layers.toString(), "--out", tmp.resolve("b").toString()), 1, "num_joint_layers", "1024");
        Path emb = tmp.resolve("emb.json");
        Files.writeString(emb, "{\"model_type\": \"dust\", \"max_num_embodiments\": 10000000}");
        assertOneLineError(run("init", "--config", emb.toString(), "--out", tmp.resolve("c").toString()), 1, "max_num_embodiments");
        Path big = tmp.resolve("big.json");
        Files.writeString(big, "{\"model_type\": \"dust\", \"max_num_embodiments\": 65536, \"hidden_size\": 4096}");
        assertOneLineError(run("init", "--config", big.toString(), "--out", tmp.resolve("d").toString()), 1, "parameters", "heap");
        assertTrue((System.nanoTime() - t0) / 1e9 < 30, "refused quickly");
        assertFalse(Files.exists(tmp.resolve("d")));
    }
}
