package org.dust4j.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.dust4j.model.DustConfig;
import org.dust4j.model.PolicyModel;
import org.dust4j.model.SamplerOptions;
import org.dust4j.model.Trainer;
import org.dust4j.tensor.Parallel;
import org.dust4j.tensor.ProfilingBackend;
import org.dust4j.tensor.Tensor;
import org.dust4j.weights.SafetensorsFile;

/**
 * The dust4j side of {@code bench/compare-torch}: loads a model directory and an input file written by
 * {@code tools/reference/compare_torch.py} (the same weights and inputs the PyTorch side runs), times the same
 * benchmarks and prints one JSON object of the same shape (median and all times in ms, peak RSS).
 *
 * <p>Benchmarks: {@code forward} (one forward, no tape), {@code sample4} (N_A = 4, q = 1), {@code sample_q16}
 * (N_A = 4, q = 16, variant start), {@code train} (loss with the given eps/tau + backward + clip 1.0 + AdamW
 * lr 1e-4, betas 0.95/0.999, wd 1e-5; no dropout, as the PyTorch side).
 *
 * <p>Arguments: {@code --model DIR --inputs FILE [--train-inputs FILE] [--bench a,b] [--warmup N] [--iters N]
 * [--warmup-s S] [--warmup-q16 N] [--iters-q16 N] [--profile N]}. Warm-up: at least {@code --warmup} runs and
 * {@code --warmup-s} seconds per benchmark (q16: {@code --warmup-q16} runs). {@code --profile N} instead prints, per benchmark, a per-op
 * time table over N runs (after the warm-up) to stderr. Threads: {@code DUST4J_THREADS}.
 */
public final class ModelCompare {
    private ModelCompare() {}

    /** Entry point; see the class comment. */
    public static void main(String[] args) throws Exception {
        Path model = null, inputs = null, trainInputs = null;
        String bench = "forward,sample4,sample_q16,train";
        int warmup = 3, iters = 5, warmupQ16 = 1, itersQ16 = -1, profile = 0;
        double warmupS = 0;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--model" -> model = Path.of(args[++i]);
                case "--inputs" -> inputs = Path.of(args[++i]);
                case "--train-inputs" -> trainInputs = Path.of(args[++i]);
                case "--bench" -> bench = args[++i];
                case "--warmup" -> warmup = Integer.parseInt(args[++i]);
                case "--warmup-s" -> warmupS = Double.parseDouble(args[++i]);
                case "--iters" -> iters = Integer.parseInt(args[++i]);
                case "--warmup-q16" -> warmupQ16 = Integer.parseInt(args[++i]);
                case "--iters-q16" -> itersQ16 = Integer.parseInt(args[++i]);
                case "--profile" -> profile = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("ModelCompare: unknown argument " + args[i]);
            }
        }
        if (model == null || inputs == null) throw new IllegalArgumentException("ModelCompare: --model DIR and --inputs FILE are required");
        if (itersQ16 < 0) itersQ16 = iters;

        Map<String, Object> out = new LinkedHashMap<>();
        out.put("peer", "dust4j");
        out.put("java_version", Runtime.version().toString());
        out.put("threads", Parallel.threads());
        long t0 = System.nanoTime();
        PolicyModel m = PolicyModel.load(model);
        long nparam = 0;
        for (var p : m.parameters()) nparam += p.value().numel();
        out.put("config", model.resolve("config.json").toString());
        out.put("model_type", m instanceof org.dust4j.model.DustModel ? "dust" : "gr00t_n1_5");
        out.put("params", nparam);
        out.put("setup_s", PeerRun.round((System.nanoTime() - t0) / 1e9, 2));
        out.put("rss_after_load_mb", PeerRun.round(PeerRun.peakRssMb(), 1));
        out.put("heap_used_after_load_mb", PeerRun.round(heapUsedMb(), 1));

        Map<String, Tensor> x = PeerRun.read(inputs);
        Map<String, Tensor> xt = trainInputs != null ? PeerRun.read(trainInputs) : x;
        out.put("batch", x.get("vl").size(0));
        out.put("seq", x.get("vl").size(1));
        out.put("train_batch", xt.get("vl").size(0));
        out.put("warmup", warmup);
        out.put("iters", iters);
        boolean dust = m.config() instanceof DustConfig;
        Map<String, Object> results = new LinkedHashMap<>();
        for (String name : bench.split(",")) {
            name = name.strip();
            if (name.isEmpty()) continue;
            Runnable fn;
            int w = warmup, n = iters;
            switch (name) {
                case "forward" -> {
                    Map<String, Tensor> in = pick(x, dust
                            ? List.of("vl", "state", "actions_noisy", "vision_noisy", "t_action", "t_vision", "embodiment_id")
                            : List.of("vl", "state", "actions_noisy", "t_action", "embodiment_id"));
                    fn = () -> m.forward(in);
                }
                case "sample4" -> {
                    Map<String, Tensor> in = pick(x, dust ? List.of("vl", "state", "embodiment_id", "noise_action", "noise_vision")
                            : List.of("vl", "state", "embodiment_id", "noise_action"));
                    SamplerOptions o = new SamplerOptions(4, 1, SamplerOptions.Variant.START);
                    fn = () -> m.sample(in, o);
                }
                case "sample_q16" -> {
                    if (!dust) {
                        results.put(name, Map.of("skipped", "gr00t has no async sampler"));
                        continue;
                    }
                    Map<String, Tensor> in = pick(x, List.of("vl", "state", "embodiment_id", "noise_action", "noise_vision"));
                    SamplerOptions o = new SamplerOptions(4, 16, SamplerOptions.Variant.START);
                    fn = () -> m.sample(in, o);
                    w = warmupQ16;
                    n = itersQ16;
                }
                case "train" -> {
                    long need = 3L * 4 * nparam;     // grads + AdamW moments, F32
                    long avail = Runtime.getRuntime().maxMemory() - heapUsedMb() * (1L << 20);
                    if (need > 0.9 * avail) {
                        String why = String.format(Locale.ROOT, "train needs ~%.1f GB more heap (grads + AdamW state), %.1f GB left under -Xmx",
                                need / 1e9, avail / 1e9);
                        results.put(name, Map.of("skipped", why));
                        System.err.println("# train: " + why);
                        continue;
                    }
                    Map<String, Tensor> batch = pick(xt, dust
                            ? List.of("vl", "state", "embodiment_id", "actions", "action_mask", "has_action", "future",
                                    "eps_action", "eps_vision", "tau_action", "tau_vision")
                            : List.of("vl", "state", "embodiment_id", "actions", "action_mask", "has_action", "eps_action", "tau_action"));
                    Trainer.Options o = new Trainer.Options(1e-4f, 0.95f, 0.999f, 1e-8f, 1e-5f, 1_000_000, 0.0, 1.0, 1, 0L, false);
                    Trainer tr = new Trainer(m, 0L, o);
                    fn = () -> {
                        Trainer.StepResult r = tr.trainStep((s, mb) -> batch);
                        if (!Double.isFinite(r.loss())) throw new ArithmeticException("train: loss is not finite");
                    };
                }
                default -> throw new IllegalArgumentException("ModelCompare: unknown benchmark " + name + " (forward, sample4, sample_q16, train)");
            }
            PeerRun.warm(fn, w, name.equals("sample_q16") ? 0 : warmupS);   // q16: runs only (each is long)
            if (profile > 0) {
                ProfilingBackend p = ProfilingBackend.install();
                long a0 = allocatedBytes();
                long s = System.nanoTime();
                for (int i = 0; i < profile; i++) fn.run();
                long wall = System.nanoTime() - s;
                long alloc = allocatedBytes() - a0;
                ProfilingBackend.uninstall();
                System.err.printf(Locale.ROOT, "# profile %s (%d runs, %d threads, %.1f MB allocated per run)%n%s", name, profile,
                        Parallel.threads(), alloc / 1e6 / profile, p.table(wall, profile));
                continue;
            }
            results.put(name, PeerRun.measure(name, fn, n));
        }
        out.put("results", results);
        out.put("peak_rss_mb", PeerRun.round(PeerRun.peakRssMb(), 1));
        System.out.println(PeerRun.json(out, ""));
    }

    private static Map<String, Tensor> pick(Map<String, Tensor> x, List<String> names) {
        Map<String, Tensor> in = new LinkedHashMap<>();
        for (String n : names) {
            Tensor t = x.get(n);
            if (t == null) throw new IllegalArgumentException("ModelCompare: the input file has no tensor '" + n + "'");
            in.put(n, t);
        }
        return in;
    }

    /** Bytes allocated so far by all live threads (HotSpot's per-thread counters). */
    private static long allocatedBytes() {
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long total = 0;
        for (long b : mx.getThreadAllocatedBytes(mx.getAllThreadIds())) if (b > 0) total += b;
        return total;
    }

    private static long heapUsedMb() {
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() >> 20;
    }

}
