package org.dust4j.backbone;

import java.nio.file.Files;
import java.nio.file.Path;
import org.dust4j.tensor.Backend;
import org.dust4j.tensor.Backends;
import org.dust4j.tensor.DType;
import org.dust4j.tensor.Ops;
import org.dust4j.tensor.Parallel;
import org.dust4j.tensor.Shape;
import org.dust4j.tensor.Tensor;
import org.dust4j.weights.SafetensorsException;
import org.dust4j.weights.TensorSource;

/**
 * The GR00T-N1.5 Eagle backbone of backbone-contract.md section 4, inference only: SigLIP vision tower, optional
 * pixel shuffle, the mlp1 projector, image-token splicing and the Qwen3 language model cut after {@code select_layer}
 * layers, with the flash-attention padding rule. Computes in F32 on a {@link Backend} (gemm, layerNorm, rmsNorm,
 * attention, softmax, GELU/SiLU); weights come from {@link BackboneWeights}.
 *
 * <p>Not thread-safe: one call at a time (MAPPED weights share one decode buffer).
 */
public final class EagleBackbone implements AutoCloseable {

    /** Outputs of {@link #embed}: section 5's OUT tensors. */
    public record Output(Tensor features, Tensor attentionMask, Tensor visionFeatures, Tensor imageEmbeds) {}

    private final BackboneConfig cfg;
    private final BackboneWeights w;
    private final Backend be;

    public EagleBackbone(BackboneConfig cfg, BackboneWeights weights, Backend backend) {
        this.cfg = cfg;
        this.w = weights;
        this.be = backend;
    }

    /** Opens a model directory: config.json (section 2) and the backbone tensors (section 3), on the CPU backend. */
    public static EagleBackbone load(Path dir, BackboneWeights.Mode mode) throws SafetensorsException {
        return load(dir, mode, Backends.cpu());
    }

    /** As {@link #load(Path, BackboneWeights.Mode)} on a given backend (e.g. a profiling wrapper). */
    public static EagleBackbone load(Path dir, BackboneWeights.Mode mode, Backend backend) throws SafetensorsException {
        if (!Files.isDirectory(dir)) throw new IllegalArgumentException("model: " + dir + " is not a directory");
        BackboneConfig c = BackboneConfig.read(dir);
        return new EagleBackbone(c, BackboneWeights.bind(TensorSource.open(dir), c, mode), backend);
    }

    public BackboneConfig config() { return cfg; }

    public BackboneWeights weights() { return w; }

    /**
     * Section 4.7's checks on the token side, done before any work: ids in [0, V), mask values 0/1, and exactly
     * {@code images}·T image-context tokens.
     */
    public void checkTokens(long[] ids, long[] mask, int images) {
        if (ids.length != mask.length) throw new IllegalArgumentException("input_ids and attention_mask differ in size");
        long count = 0;
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= cfg.vocab()) {
                throw new IllegalArgumentException("input_ids: id " + ids[i] + " at flat index " + i + " is outside [0, " + cfg.vocab() + ")");
            }
            if (mask[i] != 0 && mask[i] != 1) {
                throw new IllegalArgumentException("attention_mask: value " + mask[i] + " at flat index " + i + " is not 0 or 1");
            }
            if (ids[i] == cfg.imageToken()) count++;
        }
        long want = (long) images * cfg.imageTokens();
        if (count != want) {
            throw new IllegalArgumentException("input_ids: " + count + " image-context tokens (id " + cfg.imageToken() + "), but "
                    + images + " images x " + cfg.imageTokens() + " tokens = " + want + " expected");
        }
    }

    /**
     * The whole backbone. {@code pixelValues} [N, 3, S, S] F32 (section 4.1 already applied), {@code inputIds} and
     * {@code attentionMask} [B, L] integer tensors.
     */
    public Output embed(Tensor pixelValues, Tensor inputIds, Tensor attentionMask) {
        int[] ps = pixelValues.shape();
        int s = cfg.imageSize();
        if (ps.length != 4 || ps[0] < 1 || ps[1] != 3 || ps[2] != s || ps[3] != s) {
            throw new IllegalArgumentException("pixel_values is " + Shape.str(ps) + ", expected [N, 3, " + s + ", " + s + "] with N >= 1");
        }
        if (inputIds.rank() != 2 || !inputIds.sameShape(attentionMask)) {
            throw new IllegalArgumentException("input_ids " + Shape.str(inputIds.shape()) + " and attention_mask "
                    + Shape.str(attentionMask.shape()) + " must be one [B, L] shape");
        }
        int b = inputIds.size(0), l = inputIds.size(1);
        if (b < 1 || l < 1) throw new IllegalArgumentException("input_ids is " + Shape.str(inputIds.shape()) + ": B and L must be >= 1");
        long rowsV = (long) ps[0] * cfg.patches();
        long widest = Math.max(Math.max(cfg.visionMlp(), 3L * cfg.patchSize() * cfg.patchSize()), Math.max(cfg.connectorIn(), cfg.width()));
        long hl = (long) cfg.heads() * l;
        if (rowsV * widest > Integer.MAX_VALUE - 16 || (long) cfg.visionHeads() * cfg.patches() * cfg.patches() > Integer.MAX_VALUE - 16
                || (long) b * l * Math.max(Math.max(cfg.mlp(), cfg.width()), (long) cfg.heads() * cfg.headDim()) > Integer.MAX_VALUE - 16
                || hl * l > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("embed: " + ps[0] + " images and input_ids " + Shape.str(inputIds.shape())
                    + " need activations of more than 2^31 elements; split the batch");
        }
        long[] ids = inputIds.toLongArray(), mask = attentionMask.toLongArray();
        checkTokens(ids, mask, ps[0]);
        Tensor v = vision(pixelValues.dtype() == DType.F32 ? pixelValues : pixelValues.to(DType.F32));
        Tensor img = connector(pixelShuffle(v));
        Tensor x = splice(ids, img, b, l);
        Tensor f = language(x, mask, b, l);
        return new Output(f.reshape(b, l, cfg.outWidth()), Tensor.ofLongs(mask.clone(), b, l), v, img);
    }

    // ------------------------------------------------------------------ building blocks

    /** lin(x; W, b) = x·Wᵀ + b for x [M, in]; the bias (may be null) pre-fills C so the gemm accumulates onto it. */
    private Tensor lin(Tensor x, String weight, String bias) {
        Tensor wt = w.matrix(weight);
        Tensor out = be.zeros(DType.F32, x.size(0), wt.size(0));
        if (bias != null) be.copyInto(w.vector(bias), out);
        be.gemm(1f, x, false, wt, true, bias == null ? 0f : 1f, out);
        return out;
    }

    private Tensor layerNorm(Tensor x, String prefix, double eps) {
        return be.layerNorm(x, w.vector(prefix + ".weight"), w.vector(prefix + ".bias"), (float) eps).out();
    }

    private Tensor rms(Tensor x, String weight) {
        return be.rmsNorm(x, w.vector(weight), (float) cfg.rmsEps()).out();
    }

    private Tensor add(Tensor a, Tensor b) {
        return be.binary(Ops.Binary.ADD, a, b);
    }

    // ------------------------------------------------------------------ vision (4.2 - 4.4)

    /** pixel_values [N, 3, S, S] -> v [N, P, Dv]. */
    Tensor vision(Tensor pv) {
        int n = pv.size(0), p = cfg.patchSize(), g = cfg.grid(), np = cfg.patches(), dv = cfg.visionWidth(), k = 3 * p * p;
        int s = cfg.imageSize();
        float[] src = dense(pv);
        int srcOff = 0;
        float[] cols = new float[n * np * k];
        Parallel.forRange(n * np, Parallel.grain(n * np, 16), (from, to) -> {
            for (int t = from; t < to; t++) {
                int img = t / np, r = (t % np) / g, c = t % g;
                int o = t * k;
                for (int ch = 0; ch < 3; ch++) {
                    for (int a = 0; a < p; a++) {
                        int row = srcOff + ((img * 3 + ch) * s + r * p + a) * s + c * p;
                        System.arraycopy(src, row, cols, o + (ch * p + a) * p, p);
                    }
                }
            }
        });
        Tensor h = lin(Tensor.of(cols, n * np, k), BackboneWeights.VIS + "embeddings.patch_embedding.weight",
                BackboneWeights.VIS + "embeddings.patch_embedding.bias");
        h = add(h.reshape(n, np, dv), w.matrix(BackboneWeights.VIS + "embeddings.position_embedding.weight")).reshape(n * np, dv);
        int layers = cfg.visionStateIndex();
        int hv = cfg.visionHeads(), d = dv / hv;
        float scale = (float) (1 / Math.sqrt(d));
        for (int i = 0; i < layers; i++) {
            String pre = BackboneWeights.VIS + "encoder.layers." + i + ".";
            Tensor y = layerNorm(h, pre + "layer_norm1", cfg.visionEps());
            Tensor q = heads(lin(y, pre + "self_attn.q_proj.weight", pre + "self_attn.q_proj.bias"), n, np, hv, d);
            Tensor kk = heads(lin(y, pre + "self_attn.k_proj.weight", pre + "self_attn.k_proj.bias"), n, np, hv, d);
            Tensor vv = heads(lin(y, pre + "self_attn.v_proj.weight", pre + "self_attn.v_proj.bias"), n, np, hv, d);
            Tensor a = be.attention(q, kk, vv, scale).out().permute(0, 2, 1, 3).contiguous().reshape(n * np, dv);
            h = add(h, lin(a, pre + "self_attn.out_proj.weight", pre + "self_attn.out_proj.bias"));
            y = layerNorm(h, pre + "layer_norm2", cfg.visionEps());
            Tensor m = be.unary(Ops.Unary.GELU_TANH, lin(y, pre + "mlp.fc1.weight", pre + "mlp.fc1.bias"));
            h = add(h, lin(m, pre + "mlp.fc2.weight", pre + "mlp.fc2.bias"));
        }
        if (cfg.visionSelect() == -1) h = layerNorm(h, BackboneWeights.VIS + "post_layernorm", cfg.visionEps());
        return h.reshape(n, np, dv);
    }

    /** The elements of an F32 tensor in row-major order, offset 0 (the tensor's own array when it already is). */
    static float[] dense(Tensor t) {
        Tensor c = t.contiguous();
        float[] d = c.floatData();
        return c.offset() == 0 && d.length == c.numel() ? d : java.util.Arrays.copyOfRange(d, c.offset(), c.offset() + c.numel());
    }

    /** [N·P, Hv·d] -> the view [N, Hv, P, d]. */
    private static Tensor heads(Tensor x, int n, int t, int h, int d) {
        return x.reshape(n, t, h, d).permute(0, 2, 1, 3);
    }

    /** Section 4.5: [N, P, Dv] -> [N, T, k²·Dv] (the input itself when k = 1). */
    Tensor pixelShuffle(Tensor v) {
        int k = cfg.shuffle();
        if (k == 1) return v;
        int n = v.size(0), g = cfg.grid(), gg = g / k, dv = cfg.visionWidth();
        float[] in = dense(v);
        float[] out = new float[in.length];
        for (int img = 0; img < n; img++) {
            for (int r = 0; r < gg; r++) {
                for (int c = 0; c < gg; c++) {
                    int o = ((img * gg + r) * gg + c) * k * k * dv;
                    for (int dr = 0; dr < k; dr++) {
                        for (int dc = 0; dc < k; dc++) {
                            int from = (img * g * g + (k * r + dr) * g + (k * c + dc)) * dv;
                            System.arraycopy(in, from, out, o + (dr * k + dc) * dv, dv);
                        }
                    }
                }
            }
        }
        return Tensor.of(out, n, gg * gg, k * k * dv);
    }

    /** Section 4.6: [N, T, Din] -> img [N, T, D]. */
    Tensor connector(Tensor x) {
        int n = x.size(0), t = x.size(1);
        Tensor flat = x.contiguous().reshape(n * t, cfg.connectorIn());
        String p = BackboneWeights.P + "mlp1.";
        Tensor out;
        if (cfg.connector() == 1) {
            out = lin(flat, p + "0.weight", p + "0.bias");
        } else {
            Tensor y = be.layerNorm(flat, w.vector(p + "0.weight"), w.vector(p + "0.bias"), 1e-5f).out();
            out = lin(geluErf(lin(y, p + "1.weight", p + "1.bias")), p + "3.weight", p + "3.bias");
        }
        return out.reshape(n, t, cfg.width());
    }

    /** 0.5x(1 + erf(x/√2)) (nn.GELU's default; the engine has the tanh form only). In place on a fresh tensor. */
    static Tensor geluErf(Tensor x) {
        float[] d = x.floatData();
        for (int i = 0; i < d.length; i++) d[i] = (float) (0.5 * d[i] * (1 + Erf.erf(d[i] / Math.sqrt(2))));
        return x;
    }

    // ------------------------------------------------------------------ splice (4.7)

    /** Token rows with the m-th image-context position replaced by img[m / T][m % T]: [B·L, D]. */
    Tensor splice(long[] ids, Tensor img, int b, int l) {
        int d = cfg.width();
        float[] x = new float[b * l * d];
        float[] im = dense(img);
        int[] order = new int[ids.length];
        int m = 0;
        for (int i = 0; i < ids.length; i++) order[i] = ids[i] == cfg.imageToken() ? m++ : -1;
        Parallel.forRange(ids.length, Parallel.grain(ids.length, 8), (from, to) -> {
            for (int i = from; i < to; i++) {
                if (order[i] >= 0) System.arraycopy(im, order[i] * d, x, i * d, d);
                else w.tokenRow((int) ids[i], x, i * d);
            }
        });
        return Tensor.of(x, b * l, d);
    }

    // ------------------------------------------------------------------ language model (4.8 - 4.9)

    /** x [B·L, D] -> features [B·L, Dout]. */
    Tensor language(Tensor x, long[] mask, int b, int l) {
        int h = cfg.heads(), kvh = cfg.kvHeads(), hd = cfg.headDim();
        float[][] rope = ropeTables(l, hd, cfg.ropeTheta());
        Tensor hs = x;
        for (int layer = 0; layer < cfg.layers(); layer++) {
            String pre = BackboneWeights.LLM + "layers." + layer + ".";
            Tensor y = rms(hs, pre + "input_layernorm.weight");
            Tensor q = rms(lin(y, pre + "self_attn.q_proj.weight", null).reshape(b * l * h, hd), pre + "self_attn.q_norm.weight");
            Tensor k = rms(lin(y, pre + "self_attn.k_proj.weight", null).reshape(b * l * kvh, hd), pre + "self_attn.k_norm.weight");
            Tensor v = lin(y, pre + "self_attn.v_proj.weight", null);
            applyRope(q.floatData(), b, l, h, hd, rope);
            applyRope(k.floatData(), b, l, kvh, hd, rope);
            Tensor o = maskedAttention(q.floatData(), k.floatData(), v.floatData(), mask, b, l);
            hs = add(hs, lin(o, pre + "self_attn.o_proj.weight", null));
            Tensor z = rms(hs, pre + "post_attention_layernorm.weight");
            Tensor gate = be.unary(Ops.Unary.SILU, lin(z, pre + "mlp.gate_proj.weight", null));
            Tensor act = be.binary(Ops.Binary.MUL, gate, lin(z, pre + "mlp.up_proj.weight", null));
            hs = add(hs, lin(act, pre + "mlp.down_proj.weight", null));
        }
        Tensor f = rms(hs, BackboneWeights.LLM + "norm.weight");
        if (cfg.projectTo() > 0) f = lin(f, "backbone.eagle_linear.weight", "backbone.eagle_linear.bias");
        return f;
    }

    /** cos and sin of p·f_i for p in 0..L-1, i in 0..hd/2-1, f_i = theta^(-2i/hd), angles in double. */
    static float[][] ropeTables(int l, int hd, double theta) {
        int half = hd / 2;
        float[] cos = new float[l * half], sin = new float[l * half];
        for (int i = 0; i < half; i++) {
            double f = Math.pow(theta, -2.0 * i / hd);
            for (int p = 0; p < l; p++) {
                cos[p * half + i] = (float) Math.cos(p * f);
                sin[p * half + i] = (float) Math.sin(p * f);
            }
        }
        return new float[][] {cos, sin};
    }

    /** RoPE in place on [B, L, heads, hd] with pairs (i, i + hd/2), position = column index. */
    static void applyRope(float[] u, int b, int l, int heads, int hd, float[][] tab) {
        int half = hd / 2;
        float[] cos = tab[0], sin = tab[1];
        Parallel.forRange(b * l, Parallel.grain(b * l, 4), (from, to) -> {
            for (int t = from; t < to; t++) {
                int p = t % l;
                for (int j = 0; j < heads; j++) {
                    int o = (t * heads + j) * hd;
                    for (int i = 0; i < half; i++) {
                        float c = cos[p * half + i], s = sin[p * half + i];
                        float a = u[o + i], bb = u[o + i + half];
                        u[o + i] = a * c - bb * s;
                        u[o + i + half] = bb * c + a * s;
                    }
                }
            }
        });
    }

    /**
     * Section 4.8's attention with the flash-attention-2 padding rule: a query at a masked position outputs zeros;
     * other queries attend to keys j &lt;= i with mask 1. q [B, L, H, hd], k, v [B, L, KV, hd]; query head j uses
     * key/value head j / (H/KV). Scores per row of the batch are one batched gemm [H, L, L]. Returns [B·L, H·hd].
     */
    private Tensor maskedAttention(float[] q, float[] k, float[] v, long[] mask, int b, int l) {
        int h = cfg.heads(), kvh = cfg.kvHeads(), hd = cfg.headDim(), g = h / kvh;
        float scale = (float) (1 / Math.sqrt(hd));
        float[] out = new float[b * l * h * hd];
        for (int row = 0; row < b; row++) {
            Tensor qb = Tensor.of(q, b, l, h, hd).select(0, row).permute(1, 0, 2);          // [H, L, hd] view
            float[] kr = new float[h * l * hd], vr = new float[h * l * hd];
            for (int j = 0; j < h; j++) {
                int src = j / g;
                for (int t = 0; t < l; t++) {
                    System.arraycopy(k, ((row * l + t) * kvh + src) * hd, kr, (j * l + t) * hd, hd);
                    System.arraycopy(v, ((row * l + t) * kvh + src) * hd, vr, (j * l + t) * hd, hd);
                }
            }
            Tensor scores = be.matmul(qb, false, Tensor.of(kr, h, l, hd), true);         // [H, L, L]
            float[] sc = scores.floatData();
            int base = row * l;
            Parallel.forRange(h * l, Parallel.grain(h * l, 8), (from, to) -> {
                for (int r = from; r < to; r++) {
                    int i = r % l, o = r * l;
                    if (mask[base + i] == 0) {
                        java.util.Arrays.fill(sc, o, o + l, 0f);                            // any finite row; zeroed below
                        continue;
                    }
                    for (int j = 0; j < l; j++) {
                        sc[o + j] = j <= i && mask[base + j] != 0 ? sc[o + j] * scale : Float.NEGATIVE_INFINITY;
                    }
                }
            });
            Tensor pr = be.softmax(scores);
            Tensor ob = be.matmul(pr, false, Tensor.of(vr, h, l, hd), false);              // [H, L, hd]
            float[] od = ob.floatData();
            for (int j = 0; j < h; j++) {
                for (int t = 0; t < l; t++) {
                    if (mask[base + t] == 0) continue;
                    System.arraycopy(od, (j * l + t) * hd, out, ((base + t) * h + j) * hd, hd);
                }
            }
        }
        return Tensor.of(out, b * l, h * hd);
    }

    @Override
    public void close() {
        w.close();
    }
}
