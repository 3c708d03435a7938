package org.dust4j.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.dust4j.tensor.Tensor;

/**
 * The ONNX Runtime side of {@code bench/compare-ort}: ONNX Runtime for Java (the engine a Java team would embed
 * instead) runs the reference model exported by {@code tools/reference/export_onnx.py} on the same weights and
 * inputs as dust4j, and prints one JSON object of the shape {@link ModelCompare} prints.
 *
 * <p>Benchmarks: {@code forward} (condition.onnx, the VL LayerNorm + self-attention, then forward.onnx: one full
 * forward as dust4j's), {@code sample4} (the contract's sampler with N_A = 4, q = 1: condition once, then a Java loop
 * of 4 forward.onnx runs, A += V_A / 4 and O += V_O / 4, buckets from j / 4). Before timing, the outputs are checked
 * against the reference's (expected.safetensors): max |diff| <= 1e-3 * max |ref| (the export computes the timestep
 * sinusoids in float32, ~1e-4 off; a wrong graph is off by O(1)).
 *
 * <p>Session: {@code --threads} intra-op threads (default 2), 1 inter-op thread, sequential execution, all graph
 * optimisations, ONNX Runtime's default spin-waiting ({@code --no-spin} turns it off).
 *
 * <p>Arguments: {@code --export DIR --inputs FILE [--bench forward,sample4] [--warmup N] [--warmup-s S] [--iters N]
 * [--threads N] [--no-spin]}.
 */
public final class OrtCompare {
    private OrtCompare() {}

    /** Entry point; see the class comment. */
    public static void main(String[] args) throws Exception {
        Path dir = null, inputs = null;
        String bench = "forward,sample4";
        int warmup = 3, iters = 5, threads = 2;
        double warmupS = 0;
        boolean spin = true;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--export" -> dir = Path.of(args[++i]);
                case "--inputs" -> inputs = Path.of(args[++i]);
                case "--bench" -> bench = args[++i];
                case "--warmup" -> warmup = Integer.parseInt(args[++i]);
                case "--warmup-s" -> warmupS = Double.parseDouble(args[++i]);
                case "--iters" -> iters = Integer.parseInt(args[++i]);
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--no-spin" -> spin = false;
                default -> throw new IllegalArgumentException("OrtCompare: unknown argument " + args[i]);
            }
        }
        if (dir == null || inputs == null) throw new IllegalArgumentException("OrtCompare: --export DIR and --inputs FILE are required");
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("peer", "onnxruntime");
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        out.put("onnxruntime_version", env.getVersion());
        out.put("threads", threads);
        out.put("allow_spinning", spin);
        long t0 = System.nanoTime();
        try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
            o.setIntraOpNumThreads(threads);
            o.setInterOpNumThreads(1);
            o.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            o.addConfigEntry("session.intra_op.allow_spinning", spin ? "1" : "0");
            Path cond = dir.resolve("condition.onnx");
            try (OrtSession condition = Files.exists(cond) ? env.createSession(cond.toString(), o) : null;
                 OrtSession forward = env.createSession(dir.resolve("forward.onnx").toString(), o)) {
                out.put("setup_s", PeerRun.round((System.nanoTime() - t0) / 1e9, 2));
                out.put("rss_after_load_mb", PeerRun.round(PeerRun.peakRssMb(), 1));
                Model m = new Model(env, condition, forward, PeerRun.read(inputs));
                Map<String, Tensor> expected = PeerRun.read(dir.resolve("expected.safetensors"));
                out.put("batch", m.batch);
                Map<String, Object> checks = new LinkedHashMap<>();
                float[][] f = m.forward();
                checks.put("forward.v_action", PeerRun.check("onnxruntime forward v_action", f[0], expected.get("forward.v_action"), 1e-3));
                checks.put("forward.v_vision", PeerRun.check("onnxruntime forward v_vision", f[1], expected.get("forward.v_vision"), 1e-3));
                float[][] s = m.sample(4);
                checks.put("sample4.action", PeerRun.check("onnxruntime sample4 action", s[0], expected.get("sample4.action"), 1e-3));
                checks.put("sample4.vision", PeerRun.check("onnxruntime sample4 vision", s[1], expected.get("sample4.vision"), 1e-3));
                out.put("max_abs_diff_vs_reference", checks);
                Map<String, Object> results = new LinkedHashMap<>();
                for (String name : bench.split(",")) {
                    name = name.strip();
                    if (name.isEmpty()) continue;
                    Runnable fn = switch (name) {
                        case "forward" -> m::forwardUnchecked;
                        case "sample4" -> () -> m.sampleUnchecked(4);
                        default -> throw new IllegalArgumentException("OrtCompare: unknown benchmark " + name + " (forward, sample4)");
                    };
                    PeerRun.warm(fn, warmup, warmupS);
                    results.put(name, PeerRun.measure(name, fn, iters));
                }
                out.put("results", results);
            }
        }
        out.put("peak_rss_mb", PeerRun.round(PeerRun.peakRssMb(), 1));
        System.out.println(PeerRun.json(out, ""));
    }

    /** The exported model with its inputs as ONNX Runtime tensors. */
    private static final class Model {
        final OrtEnvironment env;
        final OrtSession condition, forward;
        final Map<String, OnnxTensor> fixed = new LinkedHashMap<>();
        final float[] vl0, actions, vision, noiseA, noiseO;
        final long[] vlShape, aShape, oShape;
        final int batch, buckets = 1000;

        Model(OrtEnvironment env, OrtSession condition, OrtSession forward, Map<String, Tensor> x) throws OrtException {
            this.env = env;
            this.condition = condition;
            this.forward = forward;
            Tensor vl = x.get("vl");
            batch = vl.size(0);
            vl0 = vl.toFloatArray();
            vlShape = shape(vl);
            fixed.put("state", floats(x.get("state")));
            fixed.put("embodiment_id", longs(x.get("embodiment_id")));
            actions = x.get("actions_noisy").toFloatArray();
            vision = x.get("vision_noisy").toFloatArray();
            aShape = shape(x.get("actions_noisy"));
            oShape = shape(x.get("vision_noisy"));
            noiseA = x.get("noise_action").toFloatArray();
            noiseO = x.get("noise_vision").toFloatArray();
            fixed.put("t_action", longs(x.get("t_action")));
            fixed.put("t_vision", longs(x.get("t_vision")));
        }

        static long[] shape(Tensor t) {
            long[] s = new long[t.rank()];
            for (int i = 0; i < s.length; i++) s[i] = t.size(i);
            return s;
        }

        OnnxTensor floats(Tensor t) throws OrtException { return OnnxTensor.createTensor(env, FloatBuffer.wrap(t.toFloatArray()), shape(t)); }

        OnnxTensor longs(Tensor t) throws OrtException { return OnnxTensor.createTensor(env, LongBuffer.wrap(t.toLongArray()), shape(t)); }

        /** One forward at the input file's actions_noisy, vision_noisy, t_action, t_vision: (v_action, v_vision). */
        float[][] forward() throws OrtException {
            try (OnnxTensor v0 = OnnxTensor.createTensor(env, FloatBuffer.wrap(vl0), vlShape);
                 OrtSession.Result c = condition == null ? null : condition.run(Map.of("vl0", v0))) {
                OnnxTensor vl = c == null ? v0 : (OnnxTensor) c.get(0);
                return step(vl, actions, vision, fixed.get("t_action"), fixed.get("t_vision"));
            }
        }

        void forwardUnchecked() {
            try {
                forward();
            } catch (OrtException e) {
                throw new IllegalStateException("onnxruntime forward: " + e.getMessage(), e);
            }
        }

        /** The contract's sampler, N_A = n, q = 1 (variant start): returns the final (actions, vision). */
        float[][] sample(int n) throws OrtException {
            float[] a = noiseA.clone(), o = noiseO.clone();
            try (OnnxTensor v0 = OnnxTensor.createTensor(env, FloatBuffer.wrap(vl0), vlShape);
                 OrtSession.Result c = condition == null ? null : condition.run(Map.of("vl0", v0))) {
                OnnxTensor vl = c == null ? v0 : (OnnxTensor) c.get(0);
                for (int j = 0; j < n; j++) {
                    long[] t = new long[batch];
                    java.util.Arrays.fill(t, PeerRun.bucket((double) j / n, buckets));
                    try (OnnxTensor tt = OnnxTensor.createTensor(env, LongBuffer.wrap(t), new long[] {batch})) {
                        float[][] v = step(vl, a, o, tt, tt);
                        for (int i = 0; i < a.length; i++) a[i] = a[i] + v[0][i] / n;
                        for (int i = 0; i < o.length; i++) o[i] = o[i] + v[1][i] / n;
                    }
                }
            }
            return new float[][] {a, o};
        }

        void sampleUnchecked(int n) {
            try {
                sample(n);
            } catch (OrtException e) {
                throw new IllegalStateException("onnxruntime sample: " + e.getMessage(), e);
            }
        }

        private float[][] step(OnnxTensor vl, float[] a, float[] o, OnnxTensor ta, OnnxTensor tv) throws OrtException {
            try (OnnxTensor at = OnnxTensor.createTensor(env, FloatBuffer.wrap(a), aShape);
                 OnnxTensor ot = OnnxTensor.createTensor(env, FloatBuffer.wrap(o), oShape)) {
                Map<String, OnnxTensor> in = new LinkedHashMap<>();
                in.put("vl", vl);
                in.put("state", fixed.get("state"));
                in.put("actions_noisy", at);
                in.put("vision_noisy", ot);
                in.put("t_action", ta);
                in.put("t_vision", tv);
                in.put("embodiment_id", fixed.get("embodiment_id"));
                try (OrtSession.Result r = forward.run(in)) {
                    return new float[][] {values((OnnxTensor) r.get(0)), values((OnnxTensor) r.get(1))};
                }
            }
        }

        private static float[] values(OnnxTensor t) {
            FloatBuffer b = t.getFloatBuffer();
            float[] v = new float[b.remaining()];
            b.get(v);
            return v;
        }
    }
}
