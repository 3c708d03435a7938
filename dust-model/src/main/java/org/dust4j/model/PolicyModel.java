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
import org.dust4j.tensor.Backend;
import org.dust4j.tensor.Backends;
import org.dust4j.tensor.Device;
import org.dust4j.tensor.Ops;
import org.dust4j.tensor.Tensor;
import org.dust4j.weights.AtomicFiles;
import org.dust4j.weights.SafetensorsException;
import org.dust4j.weights.ShardedCheckpoint;
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

    private boolean allowNonFinite;

    /**
     * Whether forward, loss and sample accept inputs holding NaN or ±Infinity (default false: such an input is a
     * one-line error naming the tensor). When allowed they propagate through the model as in PyTorch.
     */
    public PolicyModel allowNonFinite(boolean allow) {
        this.allowNonFinite = allow;
        return this;
    }

    /**
     * {@code dust4j forward}: validates the inputs and returns the velocities (no tape, current train/eval mode). The
     * linear layers' weights are packed for the GEMM once and reused by later calls ({@link org.dust4j.tensor.GemmPack}).
     */
    public Map<String, Tensor> forward(Map<String, Tensor> inputs) {
        Map<String, Tensor> in = onDevice(forwardSpec().check(inputs, allowNonFinite));
        try (var g = GradMode.noGrad(); var pk = org.dust4j.tensor.GemmPack.open()) {
            Map<String, Tensor> out = new LinkedHashMap<>();
            forwardChecked(in).forEach((k, v) -> out.put(k, v.value()));
            return out;
        }
    }

    /** {@code dust4j loss}: validates and returns the loss graph (records a tape when grad mode is on). */
    public Losses loss(Map<String, Tensor> inputs) {
        Map<String, Tensor> in = lossSpec().check(inputs, allowNonFinite);
        if (in.get("vl").size(0) == 0) {
            throw new InputSpec.InputException("loss: input 'vl' has batch size 0; the loss of an empty batch is undefined (forward and sample accept B = 0)");
        }
        return lossChecked(onDevice(in));
    }

    /**
     * {@code dust4j sample}: validates and runs the sampler without a tape. The cross-attention keys/values of the
     * VL features are computed once per call ({@link ContextCache}): every step attends to the same features; the
     * weights of the linear layers are packed for the GEMM once and kept for later calls until written
     * ({@link org.dust4j.tensor.GemmPack}).
     */
    public Map<String, Tensor> sample(Map<String, Tensor> inputs, SamplerOptions options) {
        Map<String, Tensor> in = onDevice(sampleSpec().check(inputs, allowNonFinite));
        try (var g = GradMode.noGrad(); var kv = ContextCache.open(); var pk = org.dust4j.tensor.GemmPack.open()) {
            return sampleChecked(in, options);
        }
    }

    /** Inputs read on the host (per-sample schedule values and the loss masks, whose sum decides L_A = 0): never moved. */
    static final java.util.Set<String> HOST_INPUTS = java.util.Set.of("tau_action", "tau_vision", "has_action", "action_mask");

    /**
     * The float inputs on the model's device (one upload each; no-op on the CPU). Integer inputs (embodiment ids,
     * buckets) and {@link #HOST_INPUTS} stay where they are: they are validated and turned into per-sample host values
     * there (the fused loss uploads the masks it needs), so nothing computed on the device is read back.
     */
    Map<String, Tensor> onDevice(Map<String, Tensor> in) {
        Device d = device();
        if (d.equals(Device.CPU)) return in;
        Map<String, Tensor> out = new LinkedHashMap<>();
        in.forEach((k, v) -> out.put(k, v.dtype().isFloating() && !HOST_INPUTS.contains(k) ? v.to(d) : v));
        return out;
    }

    // ------------------------------------------------------------------ creation, loading, saving

    /** A randomly initialised model of the config's type (torch-like defaults from a seeded {@link ParamInit}). */
    public static PolicyModel create(ModelConfig config, long seed) {
        requireMemory(config, 1, "create");
        return create(config, new ParamInit(seed));
    }

    /**
     * Number of parameters of a config's model, counted on a placeholder model (no values allocated; the config's
     * bounds keep the module count small).
     */
    public static long parameterCount(ModelConfig config) {
        long n = 0;
        for (Var p : create(config, ParamInit.placeholders(0)).parameters()) n += p.value().numel();
        return n;
    }

    /**
     * Checks that {@code copies} F32 copies of the model's parameters (1 to hold it; training needs about 4:
     * weights, gradients, two AdamW moments) fit into the heap still free; one line naming {@code what} otherwise.
     */
    public static void requireMemory(ModelConfig config, int copies, String what) {
        long params = parameterCount(config);
        Runtime rt = Runtime.getRuntime();
        long free = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
        long need = params * 4L * copies;
        if (need < 0 || need > free) {
            throw new ConfigException(String.format(java.util.Locale.ROOT,
                    "%s: a %s model of %,d parameters needs about %,d MiB (%d x F32), more than the %,d MiB of heap free (raise -Xmx or shrink the config)",
                    what, config.type(), params, need / (1 << 20), copies, free / (1 << 20)));
        }
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
        return load(dir, seed, Device.CPU);
    }

    /** As {@link #load(Path, long)}, then moved to {@code device} ({@link Module#to}). */
    public static PolicyModel load(Path dir, long seed, Device device) throws SafetensorsException {
        ModelConfig config = ModelConfig.read(dir);
        requireMemory(config, 1, "load " + dir);
        PolicyModel m = create(config, ParamInit.placeholders(seed));
        try (TensorSource src = TensorSource.open(dir)) {
            // two shards holding one tensor, or an index out of step with its shards, is an error (as in inspect)
            if (src instanceof ShardedCheckpoint sc) sc.validateAll();
            // big files: drop each tensor's mapped pages once decoded (resident memory = the weights, not weights + file)
            m.loadWeights(fileBytes(src) > BIG_FILE ? new PageRelease(src) : src);
        }
        m.eval();
        m.to(device);
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

    /** Parameter slots for {@link StateDict}: values are read as CPU tensors and written back to each parameter's device. */
    public Map<String, StateDict.Slot> slots() {
        return StateDict.slots(namedParameters(), v -> v.value().to(Device.CPU), (v, t) -> v.setValue(t.to(v.value().device())));
    }

    /** Writes {@code config.json} and {@code model.safetensors} (F32, names with the prefix) into {@code dir}, atomically each. */
    public void save(Path dir) throws IOException {
        AtomicFiles.createDirectories(dir);
        StateDict.save(slots(), dir.resolve("model.safetensors"), PREFIX, null, Map.of("format", "pt"), 0);
        writeAtomically(dir.resolve("config.json"), config().toJson() + "\n");
    }

    static void writeAtomically(Path file, String text) throws IOException {
        AtomicFiles.writeString(file, text);
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
            if (ada) p.setValue(Tensor.zeros(p.shape()).to(p.value().device()));
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

    /** Integer bucket tensor (an input, [B]) as float values on the host, where the timestep sinusoids are built. */
    static float[] buckets(Tensor t) {
        long[] l = t.to(Device.CPU).toLongArray();
        float[] out = new float[l.length];
        for (int i = 0; i < l.length; i++) out[i] = l[i];
        return out;
    }

    static float[] fill(int n, float v) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, v);
        return a;
    }

    /**
     * A per-sample input ([B]: τ, has_action) as host floats: the bucket rule and the timestep sinusoids are computed
     * on the host from these B values (inputs, not intermediate results: nothing computed on a device is read back).
     */
    static float[] perSample(Tensor t) {
        return t.to(Device.CPU).toFloatArray();
    }

    /** τ per sample with action-free samples (has_action = 0) forced to 0 (pure noise), contract section 5. */
    static float[] actionTaus(Tensor tau, Tensor has) {
        float[] t = perSample(tau);
        if (has != null) {
            float[] h = perSample(has);
            for (int b = 0; b < t.length; b++) if (h[b] == 0f) t[b] = 0f;
        }
        return t;
    }

    /** {@code (1-τ)·ε + τ·x} per sample (GR00T's float32 order) as tensor ops on x's device; x and ε [B, ...], τ [B]. */
    static Tensor interpolate(Tensor x, Tensor eps, float[] tau) {
        Backend bk = F.backend(x);
        int[] s = new int[x.rank()];
        java.util.Arrays.fill(s, 1);
        s[0] = tau.length;
        Tensor t = Tensor.of(tau, s).to(x.device());
        return bk.binary(Ops.Binary.ADD, bk.binary(Ops.Binary.MUL, bk.scalar(Ops.Scalar.RSUB, t, 1f), eps), bk.binary(Ops.Binary.MUL, t, x));
    }

    /**
     * L_A = Σ((v - (x - ε))² ⊙ m) / Σ m with m = action_mask · has_action ({@code has} may be null): the fused
     * {@link F#flowLoss}. When Σ m = 0 the loss is a constant 0 without a graph (contract section 5), decided on the
     * masks, which are inputs (read on the host, as the per-sample τ are).
     */
    static Var actionLoss(Var v, Tensor x, Tensor eps, Tensor mask, Tensor has) {
        Backend cpu = Backends.cpu();
        Tensor m = mask.to(Device.CPU);
        if (has != null) {
            int[] s = new int[m.rank()];
            java.util.Arrays.fill(s, 1);
            s[0] = has.numel();
            m = cpu.binary(Ops.Binary.MUL, m, has.to(Device.CPU).contiguous().reshape(s));
        }
        if (cpu.sumAll(m) == 0) return Var.constant(F.backend(x).zeros(org.dust4j.tensor.DType.F32));
        return F.flowLoss(v, x, eps, mask, has);
    }

    /** {@code x + v / n} as tensor ops on x's device (explicit Euler step of size 1/n, as the contract writes it: {@code A + V_A / N_A}). */
    static Tensor euler(Tensor x, Tensor v, int n) {
        Backend bk = F.backend(x);
        return bk.binary(Ops.Binary.ADD, x, bk.scalar(Ops.Scalar.DIV, v, n));
    }

    /** Checks ids (an input) are in [0, C). */
    static Tensor checkIds(Tensor ids, int c) {
        long[] l = ids.to(Device.CPU).toLongArray();
        for (int i = 0; i < l.length; i++) {
            if (l[i] < 0 || l[i] >= c) {
                throw new InputSpec.InputException("input 'embodiment_id': value " + l[i] + " at [" + i + "] is out of range [0, "
                        + c + ") (max_num_embodiments " + c + ")");
            }
        }
        return ids;
    }
}
