package org.dust4j.model;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import org.dust4j.autograd.F;
import org.dust4j.autograd.GradMode;
import org.dust4j.autograd.Var;
import org.dust4j.autograd.nn.ContextCache;
import org.dust4j.autograd.nn.Module;
import org.dust4j.autograd.nn.ParamInit;
import org.dust4j.tensor.Tensor;
import org.dust4j.weights.SafetensorsException;
import org.dust4j.weights.StateDict;
import org.dust4j.weights.TensorSource;

/**
 * A flow-matching policy head: {@link DustModel} or {@link Gr00tModel}. Holds the shared numerics of contract
 * section 5 (interpolation, bucket rule, masked loss, Euler steps), the three operations of section 7 with
 * input validation, and loading/saving of model directories (tensor names carry the {@code action_head.}
 * prefix in files and not in {@link #namedParameters()}).
 */
public abstract sealed class PolicyModel extends Module permits DustModel, Gr00tModel, FlareModel {
    /** The prefix of every action-head tensor name in a model file. */
    public static final String PREFIX = "action_head.";

    /** The three loss values as graph variables (0-d). */
    public record Losses(Var loss, Var lossAction, Var lossWm) {}

    public abstract ModelConfig config();

    /** vlln + VL self-attention when the config has them, else the input. */
    public abstract Var processVl(Var vl0);

    public abstract InputSpec forwardSpec();

    public abstract InputSpec lossSpec();

    public abstract InputSpec sampleSpec();

    protected abstract Map<String, Var> forwardChecked(Map<String, Tensor> in);

    protected abstract Losses lossChecked(Map<String, Tensor> in);

    protected abstract Map<String, Tensor> sampleChecked(Map<String, Tensor> in, SamplerOptions o);

    // ------------------------------------------------------------------ operations

    /** {@code dust4j forward}: validates the inputs and returns the velocities (no tape, current train/eval mode). */
    public Map<String, Tensor> forward(Map<String, Tensor> inputs) {
        Map<String, Tensor> in = forwardSpec().check(inputs);
        try (var g = GradMode.noGrad()) {
            Map<String, Tensor> out = new LinkedHashMap<>();
            forwardChecked(in).forEach((k, v) -> out.put(k, v.value()));
            return out;
        }
    }

    /** {@code dust4j loss}: validates and returns the loss graph (records a tape when grad mode is on). */
    public Losses loss(Map<String, Tensor> inputs) {
        return lossChecked(lossSpec().check(inputs));
    }

    /**
     * {@code dust4j sample}: validates and runs the sampler without a tape. The cross-attention keys/values of the
     * VL features are computed once per call ({@link ContextCache}): every step attends to the same features.
     */
    public Map<String, Tensor> sample(Map<String, Tensor> inputs, SamplerOptions options) {
        Map<String, Tensor> in = sampleSpec().check(inputs);
        try (var g = GradMode.noGrad(); var kv = ContextCache.open()) {
            return sampleChecked(in, options);
        }
    }

    // ------------------------------------------------------------------ creation, loading, saving

    /** A randomly initialised model of the config's type (torch-like defaults from a seeded {@link ParamInit}). */
    public static PolicyModel create(ModelConfig config, long seed) {
        return create(config, new ParamInit(seed));
    }

    /**
     * A model of the config's type with parameters from {@code init}; {@link ParamInit#placeholders} gives a model
     * without memory for weights (for its input specs, or to load weights into).
     */
    public static PolicyModel create(ModelConfig config, ParamInit init) {
        return switch (config) {
            case DustConfig d -> new DustModel(d, init);
            case Gr00tConfig g -> new Gr00tModel(g, init);
            case FlareConfig f -> new FlareModel(f, init);
        };
    }

    /** Reads {@code dir/config.json} and the weights ({@code model.safetensors} or a sharded index), in eval mode. */
    public static PolicyModel load(Path dir) throws SafetensorsException {
        return load(dir, 0L);
    }

    /**
     * As {@link #load(Path)} with the seed that seeds dropout (as {@link #create} with that seed would). No random
     * init is drawn: parameters start as zero-size placeholders and are replaced by the loaded tensors, so peak
     * memory is the weights themselves.
     */
    public static PolicyModel load(Path dir, long seed) throws SafetensorsException {
        PolicyModel m = create(ModelConfig.read(dir), ParamInit.placeholders(seed));
        try (TensorSource src = TensorSource.open(dir)) {
            // big files: drop each tensor's mapped pages once decoded (resident memory = the weights, not weights + file)
            m.loadWeights(fileBytes(src) > BIG_FILE ? new PageRelease(src) : src);
        }
        m.eval();
        return m;
    }

    /** Weight files above this size are loaded with {@link PageRelease}. */
    private static final long BIG_FILE = 1L << 30;

    private static long fileBytes(TensorSource src) {
        long n = 0;
        try {
            for (String name : src.names()) n += src.info(name).byteSize();
        } catch (SafetensorsException e) {
            return 0;   // reported by the load itself
        }
        return n;
    }

    /**
     * Loads every parameter by name ({@code action_head.} stripped); for gr00t_n1_5 {@code backbone.*} tensors
     * are skipped and reported. Any missing, unexpected or misshapen tensor is one error listing all of them.
     */
    public StateDict.Report loadWeights(TensorSource src) throws SafetensorsException {
        StateDict.Options o = StateDict.Options.strictDefaults().stripPrefix(PREFIX);
        if (this instanceof Gr00tModel) o = o.ignorePrefix("backbone.");
        return StateDict.load(src, slots(), o);
    }

    /** Parameter slots for {@link StateDict}. */
    public Map<String, StateDict.Slot> slots() {
        return StateDict.slots(namedParameters(), Var::value, Var::setValue);
    }

    /** Writes {@code config.json} and {@code model.safetensors} (F32, names with the prefix) into {@code dir}, atomically each. */
    public void save(Path dir) throws IOException {
        Files.createDirectories(dir);
        StateDict.save(slots(), dir.resolve("model.safetensors"), PREFIX, null, Map.of("format", "pt"), 0);
        writeAtomically(dir.resolve("config.json"), config().toJson() + "\n");
    }

    static void writeAtomically(Path file, String text) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, text);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * Sets the AdaLN modulation linears to zero, as DiT initialises them: every {@code norm1*}/{@code norm_cross*}
     * {@code .linear} and the output AdaLNs {@code proj_out_1}, {@code proj_out_1_context}. Joint blocks then
     * start as the identity (all gates 0).
     */
    public void zeroAdaLn() {
        namedParameters().forEach((name, p) -> {
            boolean ada = name.matches(".*\\.norm1(_context)?\\.linear\\.(weight|bias)")
                    || name.matches(".*\\.norm_cross(_context)?\\.linear\\.(weight|bias)")
                    || name.matches("model\\.proj_out_1(_context)?\\.(weight|bias)");
            if (ada) p.setValue(Tensor.zeros(p.shape()));
        });
    }

    // ------------------------------------------------------------------ shared numerics (contract section 5)

    /** bucket(τ) = clamp(trunc(τ·N), 0, N-1) with τ·N in double. */
    public static int bucket(double tau, int n) {
        double x = tau * n;
        long t = (long) x;                  // truncation toward zero
        return (int) Math.max(0, Math.min(n - 1, t));
    }

    /** Buckets of a float τ per sample. */
    public static float[] bucketsOf(float[] tau, int n) {
        float[] out = new float[tau.length];
        for (int i = 0; i < tau.length; i++) out[i] = bucket(tau[i], n);
        return out;
    }

    /** Integer bucket tensor as float values. */
    static float[] buckets(Tensor t) {
        long[] l = t.toLongArray();
        float[] out = new float[l.length];
        for (int i = 0; i < l.length; i++) out[i] = l[i];
        return out;
    }

    static float[] fill(int n, float v) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, v);
        return a;
    }

    /** {@code (1-τ)·ε + τ·x} per sample (GR00T's float32 order), x and ε [B, ...]. */
    static Tensor interpolate(Tensor x, Tensor eps, float[] tau) {
        float[] xv = x.toFloatArray(), ev = eps.toFloatArray();
        int per = xv.length / tau.length;
        float[] out = new float[xv.length];
        for (int i = 0; i < xv.length; i++) {
            float t = tau[i / per];
            out[i] = (1f - t) * ev[i] + t * xv[i];
        }
        return Tensor.of(out, x.shape());
    }

    /** The velocity target {@code x - ε}. */
    static Tensor target(Tensor x, Tensor eps) {
        float[] xv = x.toFloatArray(), ev = eps.toFloatArray();
        float[] out = new float[xv.length];
        for (int i = 0; i < xv.length; i++) out[i] = xv[i] - ev[i];
        return Tensor.of(out, x.shape());
    }

    /** action_mask · has_action (per sample), or the mask alone when {@code has} is null. */
    static Tensor actionWeights(Tensor mask, float[] has) {
        float[] m = mask.toFloatArray();
        if (has != null) {
            int per = m.length / has.length;
            for (int i = 0; i < m.length; i++) m[i] *= has[i / per];
        }
        return Tensor.of(m, mask.shape());
    }

    /** Σ((pred - target)² ⊙ m) / Σ m, or a constant 0 when Σ m = 0. */
    static Var maskedMse(Var pred, Tensor target, Tensor m) {
        double total = 0;
        for (float w : m.toFloatArray()) total += w;
        if (total == 0) return Var.constant(Tensor.zeros());
        Var s = F.sum(F.mul(F.square(F.sub(pred, Var.constant(target))), Var.constant(m)));
        return F.div(s, Var.constant(Tensor.scalar((float) total)));
    }

    /** x += v / n in place (explicit Euler step of size 1/n, as the contract writes it: {@code A + V_A / N_A}). */
    static void euler(float[] x, Tensor v, int n) {
        float[] vv = v.toFloatArray();
        float nf = n;
        for (int i = 0; i < x.length; i++) x[i] += vv[i] / nf;
    }

    /** Checks ids are in [0, C). */
    static Tensor checkIds(Tensor ids, int c) {
        long[] l = ids.toLongArray();
        for (int i = 0; i < l.length; i++) {
            if (l[i] < 0 || l[i] >= c) {
                throw new InputSpec.InputException("input 'embodiment_id': value " + l[i] + " at [" + i + "] is out of range [0, "
                        + c + ") (max_num_embodiments " + c + ")");
            }
        }
        return ids;
    }
}
