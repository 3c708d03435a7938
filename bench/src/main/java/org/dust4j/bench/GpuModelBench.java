package org.dust4j.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.dust4j.autograd.Var;
import org.dust4j.model.DustConfig;
import org.dust4j.model.PolicyModel;
import org.dust4j.model.SamplerOptions;
import org.dust4j.model.Trainer;
import org.dust4j.tensor.DType;
import org.dust4j.tensor.Device;
import org.dust4j.tensor.Tensor;
import org.dust4j.weights.SafetensorsFile;

/**
 * The dust4j side of the GPU model benchmarks (scripts/gpu-check.sh, peer: scripts/gpu_torch_peer.py model): the
 * weights and inputs the torch peer wrote, on the CUDA device, timed wall-clock with the result read back (so
 * every queued kernel is included, as torch.cuda.synchronize does on the other side).
 * <ul>
 * <li>{@code sample4}: DUST sampler N_A = 4, q = 1 (N_O = 4), batch of the input file;</li>
 * <li>{@code sample_q16}: N_A = 4, q = 16 (N_O = 64);</li>
 * <li>{@code train}: one training step (loss + backward + clip 1.0 + AdamW, as ModelCompare) at the train file's
 * batch (32).</li>
 * </ul>
 * Each in F32 and, with {@code --dtype bf16}, BF16 parameters and inputs. Prints one line per case
 * ({@code model dust4j NAME DTYPE B=..: median X ms}) and the torch peer prints the same shape of line.
 * <p>The model goes to the device with {@code Module.to(Device)}; for BF16 every parameter is then converted to BF16
 * on the device ({@code Var.setValue}) and the floating inputs too (tau stays F32). Whether every op of the model
 * takes BF16 on the CUDA backend is what this run finds out: a failure is logged with its message.
 * <p>Arguments: {@code --model DIR --inputs FILE --train-inputs FILE [--device cuda:0] [--dtype f32|bf16|both]
 * [--bench sample4,sample_q16,train] [--warmup N] [--iters N]}.
 */
public final class GpuModelBench {
    private GpuModelBench() {}

    public static void main(String[] args) throws Exception {
        Path model = null, inputs = null, trainInputs = null;
        String device = "cuda:0", dtypes = "both", bench = "sample4,sample_q16,train";
        int warmup = 1, iters = 3;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--model" -> model = Path.of(args[++i]);
                case "--inputs" -> inputs = Path.of(args[++i]);
                case "--train-inputs" -> trainInputs = Path.of(args[++i]);
                case "--device" -> device = args[++i];
                case "--dtype" -> dtypes = args[++i];
                case "--bench" -> bench = args[++i];
                case "--warmup" -> warmup = Integer.parseInt(args[++i]);
                case "--iters" -> iters = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("GpuModelBench: unknown argument " + args[i]);
            }
        }
        if (model == null || inputs == null || trainInputs == null) {
            throw new IllegalArgumentException("GpuModelBench: --model DIR, --inputs FILE and --train-inputs FILE are required");
        }
        Device dev = parseDevice(device);
        List<DType> types = switch (dtypes) {
            case "f32" -> List.of(DType.F32);
            case "bf16" -> List.of(DType.BF16);
            case "both" -> List.of(DType.F32, DType.BF16);
            default -> throw new IllegalArgumentException("GpuModelBench: --dtype f32, bf16 or both, got " + dtypes);
        };
        long t0 = System.nanoTime();
        PolicyModel m = PolicyModel.load(model);                  // loaded once: F32 first, then cast in place
        if (!(m.config() instanceof DustConfig)) throw new IllegalArgumentException("GpuModelBench: " + model + " is not a DUST model");
        m.to(dev);
        System.out.printf(Locale.ROOT, "model dust4j setup on %s: %.1f s%n", dev, (System.nanoTime() - t0) / 1e9);
        int failed = 0;
        for (DType t : types) {
            if (t != DType.F32) {
                for (Var p : m.parameters()) p.setValue(p.value().to(t));
            }
            Map<String, Tensor> x = read(inputs, dev, t), xt = read(trainInputs, dev, t);
            for (String name : bench.split(",")) {
                name = name.strip();
                try {
                    runCase(m, name, t, x, xt, warmup, iters);
                } catch (RuntimeException e) {
                    failed++;
                    System.out.println("model dust4j " + name + " " + t.name().toLowerCase(Locale.ROOT) + ": FAILED: " + e);
                    if (Boolean.getBoolean("dust4j.stacktrace")) e.printStackTrace(System.out);
                }
            }
        }
        if (failed > 0) System.exit(1);
    }

    /** Times one benchmark case and prints its line. */
    static void runCase(PolicyModel m, String name, DType t, Map<String, Tensor> x, Map<String, Tensor> xt, int warmup, int iters) {
        Runnable fn;
        Map<String, Tensor> in = x;
        switch (name) {
            case "sample4", "sample_q16" -> {
                SamplerOptions o = new SamplerOptions(4, name.equals("sample4") ? 1 : 16, SamplerOptions.Variant.START);
                Map<String, Tensor> s = pick(x, List.of("vl", "state", "embodiment_id", "noise_action", "noise_vision"));
                fn = () -> readBack(m.sample(s, o).values());
            }
            case "train" -> {
                in = xt;
                Map<String, Tensor> batch = pick(xt, List.of("vl", "state", "embodiment_id", "actions", "action_mask", "has_action", "future",
                        "eps_action", "eps_vision", "tau_action", "tau_vision"));
                Trainer.Options o = new Trainer.Options(1e-4f, 0.95f, 0.999f, 1e-8f, 1e-5f, 1_000_000, 0.0, 1.0, 1, 0L, false);
                Trainer tr = new Trainer(m, 0L, o);
                fn = () -> {
                    Trainer.StepResult r = tr.trainStep((step, mb) -> batch);
                    if (!Double.isFinite(r.loss())) throw new ArithmeticException("train: loss is not finite");
                };
            }
            default -> throw new IllegalArgumentException("GpuModelBench: unknown benchmark " + name + " (sample4, sample_q16, train)");
        }
        for (int i = 0; i < warmup; i++) fn.run();
        double[] ms = new double[iters];
        for (int i = 0; i < iters; i++) {
            long s = System.nanoTime();
            fn.run();
            ms[i] = (System.nanoTime() - s) / 1e6;
        }
        double[] sorted = ms.clone();
        Arrays.sort(sorted);
        List<String> all = new ArrayList<>();
        for (double v : ms) all.add(String.format(Locale.ROOT, "%.3f", v));
        System.out.printf(Locale.ROOT, "model dust4j %s %s B=%d: median %.3f ms (all %s)%n", name, t.name().toLowerCase(Locale.ROOT),
                in.get("vl").size(0), sorted[iters / 2], all);
    }

    /** cpu, cuda, cuda:N. */
    static Device parseDevice(String s) {
        if (s.equals("cpu")) return Device.CPU;
        if (s.equals("cuda")) return Device.cuda(0);
        if (s.matches("cuda:[0-9]{1,3}")) return Device.cuda(Integer.parseInt(s.substring(5)));
        throw new IllegalArgumentException("GpuModelBench: --device must be cpu, cuda or cuda:N, got " + s);
    }

    /** Downloads every result (waits for the queued device work). */
    static void readBack(Iterable<Tensor> ts) {
        for (Tensor t : ts) t.to(Device.CPU);
    }

    static Map<String, Tensor> read(Path file, Device dev, DType t) throws Exception {
        Map<String, Tensor> x = new LinkedHashMap<>();
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            for (String n : f.names()) {
                Tensor v = f.toTensor(n);
                if (v.dtype().isFloating() && v.dtype() != t && !n.startsWith("tau")) v = v.to(t);
                x.put(n, v.to(dev));
            }
        }
        return x;
    }

    static Map<String, Tensor> pick(Map<String, Tensor> x, List<String> names) {
        Map<String, Tensor> in = new LinkedHashMap<>();
        for (String n : names) {
            Tensor t = x.get(n);
            if (t == null) throw new IllegalArgumentException("GpuModelBench: the input file has no tensor '" + n + "'");
            in.put(n, t);
        }
        return in;
    }
}
