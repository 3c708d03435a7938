package org.dust4j.bench;

import ai.djl.engine.Engine;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.NoopTranslator;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.dust4j.tensor.Tensor;

/**
 * The DJL side of {@code bench/compare-ort}: PyTorch 2.7 (DJL's pytorch-native-cpu, loaded from the classpath, offline)
 * runs the TorchScript traces that {@code tools/reference/export_onnx.py} writes from the torch 1.13 reference
 * (condition.pt, forward.pt) on the same weights and inputs. Same benchmarks, checks and JSON as {@link OrtCompare}
 * (forward; sample4 as a Java loop of 4 forwards); threads via {@code ai.djl.pytorch.num_threads}.
 *
 * <p>Arguments: {@code --export DIR --inputs FILE [--bench forward,sample4] [--warmup N] [--warmup-s S] [--iters N]
 * [--threads N]}.
 */
public final class DjlCompare {
    private DjlCompare() {}

    /** Entry point; see the class comment. */
    public static void main(String[] args) throws Exception {
        Path dir = null, inputs = null;
        String bench = "forward,sample4";
        int warmup = 3, iters = 5, threads = 2;
        double warmupS = 0;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--export" -> dir = Path.of(args[++i]);
                case "--inputs" -> inputs = Path.of(args[++i]);
                case "--bench" -> bench = args[++i];
                case "--warmup" -> warmup = Integer.parseInt(args[++i]);
                case "--warmup-s" -> warmupS = Double.parseDouble(args[++i]);
                case "--iters" -> iters = Integer.parseInt(args[++i]);
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("DjlCompare: unknown argument " + args[i]);
            }
        }
        if (dir == null || inputs == null) throw new IllegalArgumentException("DjlCompare: --export DIR and --inputs FILE are required");
        System.setProperty("ai.djl.offline", "true");
        System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("peer", "djl-pytorch");
        long t0 = System.nanoTime();
        Engine engine = Engine.getEngine("PyTorch");
        out.put("pytorch_version", engine.getVersion());
        out.put("threads", threads);
        try (ZooModel<NDList, NDList> cond = load(dir, "condition"); ZooModel<NDList, NDList> fwd = load(dir, "forward");
             Predictor<NDList, NDList> pc = cond.newPredictor(); Predictor<NDList, NDList> pf = fwd.newPredictor();
             NDManager mgr = NDManager.newBaseManager()) {
            out.put("setup_s", PeerRun.round((System.nanoTime() - t0) / 1e9, 2));
            out.put("rss_after_load_mb", PeerRun.round(PeerRun.peakRssMb(), 1));
            Map<String, Tensor> x = PeerRun.read(inputs);
            Map<String, Tensor> expected = PeerRun.read(dir.resolve("expected.safetensors"));
            int batch = x.get("vl").size(0);
            Step step = (a, o, ta, tv) -> {
                try (NDManager m = mgr.newSubManager()) {
                    NDArray vl = pc.predict(new NDList(nd(m, x.get("vl")))).singletonOrThrow();
                    return forward(pf, m, vl, x, a, o, ta, tv);
                }
            };
            float[][] f = step.run(x.get("actions_noisy").toFloatArray(), x.get("vision_noisy").toFloatArray(),
                    x.get("t_action").toLongArray(), x.get("t_vision").toLongArray());
            Map<String, Object> checks = new LinkedHashMap<>();
            checks.put("forward.v_action", PeerRun.check("djl forward v_action", f[0], expected.get("forward.v_action"), 1e-3));
            checks.put("forward.v_vision", PeerRun.check("djl forward v_vision", f[1], expected.get("forward.v_vision"), 1e-3));
            Sampler sampler = n -> {
                float[] a = x.get("noise_action").toFloatArray(), o = x.get("noise_vision").toFloatArray();
                try (NDManager m = mgr.newSubManager()) {
                    NDArray vl = pc.predict(new NDList(nd(m, x.get("vl")))).singletonOrThrow();
                    for (int j = 0; j < n; j++) {
                        long[] t = new long[batch];
                        java.util.Arrays.fill(t, PeerRun.bucket((double) j / n, 1000));
                        float[][] v = forward(pf, m, vl, x, a, o, t, t);
                        for (int i = 0; i < a.length; i++) a[i] = a[i] + v[0][i] / n;
                        for (int i = 0; i < o.length; i++) o[i] = o[i] + v[1][i] / n;
                    }
                }
                return new float[][] {a, o};
            };
            float[][] s = sampler.run(4);
            checks.put("sample4.action", PeerRun.check("djl sample4 action", s[0], expected.get("sample4.action"), 1e-3));
            checks.put("sample4.vision", PeerRun.check("djl sample4 vision", s[1], expected.get("sample4.vision"), 1e-3));
            out.put("max_abs_diff_vs_reference", checks);
            Map<String, Object> results = new LinkedHashMap<>();
            for (String name : bench.split(",")) {
                name = name.strip();
                if (name.isEmpty()) continue;
                Runnable fn = switch (name) {
                    case "forward" -> () -> step.runUnchecked(x.get("actions_noisy").toFloatArray(), x.get("vision_noisy").toFloatArray(),
                            x.get("t_action").toLongArray(), x.get("t_vision").toLongArray());
                    case "sample4" -> () -> sampler.runUnchecked(4);
                    default -> throw new IllegalArgumentException("DjlCompare: unknown benchmark " + name + " (forward, sample4)");
                };
                PeerRun.warm(fn, warmup, warmupS);
                results.put(name, PeerRun.measure(name, fn, iters));
            }
            out.put("results", results);
        }
        out.put("peak_rss_mb", PeerRun.round(PeerRun.peakRssMb(), 1));
        System.out.println(PeerRun.json(out, ""));
    }

    private interface Step {
        float[][] run(float[] a, float[] o, long[] ta, long[] tv) throws Exception;

        default float[][] runUnchecked(float[] a, float[] o, long[] ta, long[] tv) {
            try {
                return run(a, o, ta, tv);
            } catch (Exception e) {
                throw new IllegalStateException("djl forward: " + e.getMessage(), e);
            }
        }
    }

    private interface Sampler {
        float[][] run(int n) throws Exception;

        default void runUnchecked(int n) {
            try {
                run(n);
            } catch (Exception e) {
                throw new IllegalStateException("djl sample: " + e.getMessage(), e);
            }
        }
    }

    private static ZooModel<NDList, NDList> load(Path dir, String name) throws Exception {
        return Criteria.builder().setTypes(NDList.class, NDList.class).optModelPath(dir).optModelName(name)
                .optEngine("PyTorch").optTranslator(new NoopTranslator()).build().loadModel();
    }

    private static float[][] forward(Predictor<NDList, NDList> pf, NDManager m, NDArray vl, Map<String, Tensor> x, float[] a,
                                     float[] o, long[] ta, long[] tv) throws Exception {
        Tensor an = x.get("actions_noisy"), vn = x.get("vision_noisy");
        NDList in = new NDList(vl, nd(m, x.get("state")), m.create(a, new Shape(an.size(0), an.size(1), an.size(2))),
                m.create(o, new Shape(vn.size(0), vn.size(1), vn.size(2))), m.create(ta), m.create(tv),
                m.create(x.get("embodiment_id").toLongArray()));
        NDList r = pf.predict(in);
        return new float[][] {r.get(0).toFloatArray(), r.get(1).toFloatArray()};
    }

    private static NDArray nd(NDManager m, Tensor t) {
        long[] s = new long[t.rank()];
        for (int i = 0; i < s.length; i++) s[i] = t.size(i);
        return m.create(t.toFloatArray(), new Shape(s));
    }
}
