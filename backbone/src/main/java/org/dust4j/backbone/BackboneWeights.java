package org.dust4j.backbone;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.dust4j.tensor.Parallel;
import org.dust4j.tensor.Tensor;
import org.dust4j.weights.Convert;
import org.dust4j.weights.SafeDType;
import org.dust4j.weights.SafetensorsException;
import org.dust4j.weights.TensorInfo;
import org.dust4j.weights.TensorSource;

/**
 * The {@code backbone.*} tensors of a model directory bound by name as backbone-contract.md section 3 lists them:
 * every required name with its shape, the optional-and-ignored names, and one error listing every missing,
 * unexpected and wrongly shaped tensor at once.
 *
 * <p>Weights stay where they are: each tensor is a read-only view of the mapped file in its stored dtype (F32, F16
 * or BF16; a BF16 checkpoint stays BF16). {@link Mode#MAPPED} decodes a matrix to F32 into a reused scratch buffer
 * each time it is used (peak memory: the mapped weights plus one matrix); {@link Mode#F32} decodes every matrix
 * once at load and keeps the F32 copies (faster per call, four bytes per parameter). The token table is never
 * decoded whole: rows are decoded as the ids ask for them. Vectors (norms, biases) are decoded once in both modes.
 */
public final class BackboneWeights implements AutoCloseable {

    /** How matrices are held. */
    public enum Mode {
        /** Stored dtype, mapped; decoded to F32 per use. */
        MAPPED,
        /** Decoded to F32 once at load. */
        F32
    }

    static final String P = "backbone.eagle_model.";
    static final String VIS = P + "vision_model.vision_model.";
    static final String LLM = P + "language_model.model.";
    static final String EMBED = LLM + "embed_tokens.weight";
    static final String LM_HEAD = P + "language_model.lm_head.weight";
    private static final Pattern LLM_LAYER = Pattern.compile(Pattern.quote(LLM) + "layers\\.(0|[1-9][0-9]{0,8})\\..+");

    private final TensorSource src;
    private final Mode mode;
    private final Map<String, TensorInfo> infos = new HashMap<>();
    private final Map<String, float[]> decoded = new HashMap<>();
    private final String tokenTable;
    private final List<String> ignored;
    private float[] scratch = new float[0];

    private BackboneWeights(TensorSource src, Mode mode, String tokenTable, List<String> ignored) {
        this.src = src;
        this.mode = mode;
        this.tokenTable = tokenTable;
        this.ignored = ignored;
    }

    /** Name to shape of every tensor the configuration requires (token table under {@code tokenName}). */
    static Map<String, long[]> required(BackboneConfig c, String tokenName) {
        Map<String, long[]> s = new LinkedHashMap<>();
        long dv = c.visionWidth(), iv = c.visionMlp(), d = c.width(), p = c.patchSize();
        s.put(VIS + "embeddings.patch_embedding.weight", new long[] {dv, 3, p, p});
        s.put(VIS + "embeddings.patch_embedding.bias", new long[] {dv});
        s.put(VIS + "embeddings.position_embedding.weight", new long[] {c.patches(), dv});
        for (int i = 0; i < c.visionLayers(); i++) {
            String l = VIS + "encoder.layers." + i + ".";
            for (String n : new String[] {"layer_norm1", "layer_norm2"}) {
                s.put(l + n + ".weight", new long[] {dv});
                s.put(l + n + ".bias", new long[] {dv});
            }
            for (String n : new String[] {"q", "k", "v", "out"}) {
                s.put(l + "self_attn." + n + "_proj.weight", new long[] {dv, dv});
                s.put(l + "self_attn." + n + "_proj.bias", new long[] {dv});
            }
            s.put(l + "mlp.fc1.weight", new long[] {iv, dv});
            s.put(l + "mlp.fc1.bias", new long[] {iv});
            s.put(l + "mlp.fc2.weight", new long[] {dv, iv});
            s.put(l + "mlp.fc2.bias", new long[] {dv});
        }
        s.put(VIS + "post_layernorm.weight", new long[] {dv});
        s.put(VIS + "post_layernorm.bias", new long[] {dv});
        long din = c.connectorIn();
        if (c.connector() == 1) {
            s.put(P + "mlp1.0.weight", new long[] {d, din});
            s.put(P + "mlp1.0.bias", new long[] {d});
        } else {
            s.put(P + "mlp1.0.weight", new long[] {din});
            s.put(P + "mlp1.0.bias", new long[] {din});
            s.put(P + "mlp1.1.weight", new long[] {d, din});
            s.put(P + "mlp1.1.bias", new long[] {d});
            s.put(P + "mlp1.3.weight", new long[] {d, d});
            s.put(P + "mlp1.3.bias", new long[] {d});
        }
        s.put(tokenName, new long[] {c.vocab(), d});
        long q = (long) c.heads() * c.headDim(), kv = (long) c.kvHeads() * c.headDim();
        for (int l = 0; l < c.layers(); l++) {
            String n = LLM + "layers." + l + ".";
            s.put(n + "input_layernorm.weight", new long[] {d});
            s.put(n + "self_attn.q_proj.weight", new long[] {q, d});
            s.put(n + "self_attn.k_proj.weight", new long[] {kv, d});
            s.put(n + "self_attn.v_proj.weight", new long[] {kv, d});
            s.put(n + "self_attn.o_proj.weight", new long[] {d, q});
            s.put(n + "self_attn.q_norm.weight", new long[] {c.headDim()});
            s.put(n + "self_attn.k_norm.weight", new long[] {c.headDim()});
            s.put(n + "post_attention_layernorm.weight", new long[] {d});
            s.put(n + "mlp.gate_proj.weight", new long[] {c.mlp(), d});
            s.put(n + "mlp.up_proj.weight", new long[] {c.mlp(), d});
            s.put(n + "mlp.down_proj.weight", new long[] {d, c.mlp()});
        }
        s.put(LLM + "norm.weight", new long[] {d});
        if (c.projectTo() > 0) {
            s.put("backbone.eagle_linear.weight", new long[] {c.projectTo(), d});
            s.put("backbone.eagle_linear.bias", new long[] {c.projectTo()});
        }
        return s;
    }

    /** True for names the contract lets a checkpoint hold without reading them. */
    static boolean ignorable(String name, BackboneConfig c, String tokenTable) {
        if (name.startsWith("action_head.") || name.startsWith(VIS + "head.")) return true;
        if (name.equals(LM_HEAD) && tokenTable.equals(EMBED)) return true;
        Matcher m = LLM_LAYER.matcher(name);
        return m.matches() && Long.parseLong(m.group(1)) >= c.layers();
    }

    /**
     * Binds the tensors of {@code src} for configuration {@code c}; every problem is reported in one
     * {@link IllegalArgumentException} line. Takes ownership of {@code src} (closed by {@link #close}, or here on error).
     */
    public static BackboneWeights bind(TensorSource src, BackboneConfig c, Mode mode) throws SafetensorsException {
        try {
            String token = src.contains(EMBED) || !src.contains(LM_HEAD) ? EMBED : LM_HEAD;
            Map<String, long[]> req = required(c, token);
            List<String> missing = new ArrayList<>(), unexpected = new ArrayList<>(), wrong = new ArrayList<>(), ignored = new ArrayList<>();
            BackboneWeights w = new BackboneWeights(src, mode, token, ignored);
            for (String n : src.names()) {
                if (req.containsKey(n)) continue;
                if (ignorable(n, c, token)) ignored.add(n);
                else unexpected.add(n);
            }
            for (Map.Entry<String, long[]> e : req.entrySet()) {
                if (!src.contains(e.getKey())) {
                    missing.add(e.getKey() + " " + Arrays.toString(e.getValue()));
                    continue;
                }
                TensorInfo info = src.info(e.getKey());
                if (!Arrays.equals(info.shape(), e.getValue())) {
                    wrong.add(e.getKey() + " is " + info.shapeString() + ", expected " + Arrays.toString(e.getValue()));
                } else if (!e.getKey().equals(token) && info.numel() > Integer.MAX_VALUE - 16) {
                    wrong.add(e.getKey() + " " + info.shapeString() + " has more than 2^31 elements (decoded into one Java array)");
                } else if (info.dtype() != SafeDType.F32 && info.dtype() != SafeDType.BF16 && info.dtype() != SafeDType.F16) {
                    wrong.add(e.getKey() + " has dtype " + info.dtype() + ", expected F32, F16 or BF16");
                }
                w.infos.put(e.getKey(), info);
            }
            if (!missing.isEmpty() || !unexpected.isEmpty() || !wrong.isEmpty()) {
                StringBuilder sb = new StringBuilder(src.path() + ": backbone tensors do not match the config:");
                if (!missing.isEmpty()) sb.append(' ').append(missing.size()).append(" missing ").append(missing).append(';');
                if (!unexpected.isEmpty()) sb.append(' ').append(unexpected.size()).append(" unexpected ").append(unexpected).append(';');
                if (!wrong.isEmpty()) sb.append(' ').append(wrong.size()).append(" wrong ").append(wrong).append(';');
                sb.setLength(sb.length() - 1);
                throw new IllegalArgumentException(sb.toString());
            }
            for (Map.Entry<String, TensorInfo> e : w.infos.entrySet()) {
                boolean vector = e.getValue().rank() == 1;
                if (vector || (mode == Mode.F32 && !e.getKey().equals(token))) w.decoded.put(e.getKey(), w.decode(e.getKey(), null));
            }
            return w;
        } catch (RuntimeException | SafetensorsException e) {
            src.close();
            throw e;
        }
    }

    public Mode mode() { return mode; }

    /** The name the token table was read under ({@code embed_tokens} or, when only it exists, {@code lm_head}). */
    public String tokenTableName() { return tokenTable; }

    /** Names present in the checkpoint and ignored (action head, SigLIP head, LLM layers >= Ls, a second token table). */
    public List<String> ignoredNames() { return List.copyOf(ignored); }

    /** Bytes of the tensors that are read (stored dtypes). */
    public long boundBytes() {
        long s = 0;
        for (TensorInfo i : infos.values()) s += i.byteSize();
        return s;
    }

    /** A vector (norm weight or bias) as F32. */
    Tensor vector(String name) {
        float[] d = decoded.get(name);
        if (d == null) throw new IllegalStateException("not a bound vector: " + name);
        return Tensor.of(d, d.length);
    }

    /**
     * A matrix as an F32 tensor [rows, numel/rows]. In MAPPED mode it is decoded into the shared scratch buffer and
     * valid only until the next call.
     */
    Tensor matrix(String name) {
        TensorInfo info = infos.get(name);
        if (info == null) throw new IllegalStateException("not a bound tensor: " + name);
        int rows = (int) info.shape()[0], cols = (int) (info.numel() / rows);
        float[] d = decoded.get(name);
        if (d == null) {
            if (scratch.length < info.numel()) scratch = new float[(int) info.numel()];
            d = decode(name, scratch);
        }
        return new Tensor(new org.dust4j.tensor.CpuStorage.Floats(d), new int[] {rows, cols}, new int[] {cols, 1}, 0);
    }

    /** Decodes row {@code id} of the token table into {@code dst[off..off+D)}. */
    void tokenRow(int id, float[] dst, int off) {
        TensorInfo info = infos.get(tokenTable);
        int d = (int) info.shape()[1];
        decodeRange(info.dtype(), segment(tokenTable), (long) id * d, dst, off, d);
    }

    private MemorySegment segment(String name) {
        try {
            return src.segment(name);
        } catch (SafetensorsException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    /** Decodes a whole tensor into {@code dst} (a fresh array when null), in parallel chunks. */
    private float[] decode(String name, float[] dst) {
        TensorInfo info = infos.get(name);
        int n = (int) info.numel();
        float[] out = dst == null ? new float[n] : dst;
        MemorySegment seg = segment(name);
        SafeDType t = info.dtype();
        Parallel.forRange(n, Parallel.grain(n, 1 << 16), (a, b) -> decodeRange(t, seg, a, out, a, b - a));
        return out;
    }

    private static void decodeRange(SafeDType t, MemorySegment seg, long from, float[] dst, int off, int n) {
        switch (t) {
            case BF16 -> Convert.bf16ToF32(seg, 2 * from, dst, off, n);
            case F16 -> Convert.f16ToF32(seg, 2 * from, dst, off, n);
            case F32 -> Convert.f32(seg, 4 * from, dst, off, n);
            default -> throw new IllegalStateException("dtype " + t);
        }
    }

    @Override
    public void close() {
        src.close();
    }
}
