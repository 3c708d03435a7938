package org.dust4j.sim;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;

/**
 * <b>Stand-in for the frozen VLM</b> (Eagle-2 + SigLIP in DUST/GR00T): a fixed, seeded, untrained encoder.
 * It is not a pretrained model and carries no semantics beyond what random features preserve; it exists so
 * the whole pipeline (data, training, closed-loop evaluation) runs without multi-gigabyte weights, with the
 * same tensor roles and shapes as the real features. Replace it by implementing {@link VisionLanguageEncoder}.
 *
 * <p>Image path (per view): the {@code [n, n, 3]} image is cut into a {@code 2g x 2g} grid of square patches
 * (g = sqrt(To)); each patch (pixels in [0,1], centred at 0.5) goes through a frozen random linear map and tanh
 * to Dv channels; the patch grid is 2x2 average pooled to g x g = To tokens — as the paper reduces 256 SigLIP
 * tokens to 64. The future target is the pooled top view, each token standardised over its channels
 * (zero mean, unit variance: the scale of flow-matching noise).
 *
 * <p>VL path: the pooled tokens of both views are projected to Dvl by a frozen random matrix, plus a fixed
 * per-view vector and a 2D sinusoidal position code; the instruction is lower-cased, split into words, and
 * each word looks up a row of a fixed embedding table (rows drawn from a stream keyed by a 64-bit FNV-1a hash
 * of the word, so the table is unbounded and never collides in practice) plus a 1D position code, padded
 * with a fixed pad row to {@code maxWords}. Every VL token is standardised over its channels.
 * S = 2 To + maxWords.
 *
 * <p>All weights come from {@link SimRng} streams keyed by the seed; every sum runs in a fixed order (float
 * accumulation, no fused multiply-add, {@link StrictMath} for tanh/sin/cos), so features are identical bit for bit on every machine. Instances are
 * immutable apart from a concurrent word cache, so one encoder may serve several threads.
 */
public final class FrozenRandomEncoder implements VisionLanguageEncoder {
    /**
     * Sizes and seed.
     *
     * @param vlDim        Dvl
     * @param visionDim    Dv
     * @param visionTokens To (a perfect square)
     * @param maxWords     instruction tokens (longer instructions are truncated)
     * @param seed         weight seed
     */
    public record Config(int vlDim, int visionDim, int visionTokens, int maxWords, long seed) {
        public Config {
            if (vlDim < 1 || visionDim < 1 || maxWords < 1)
                throw new IllegalArgumentException("FrozenRandomEncoder: vlDim, visionDim and maxWords must be >= 1, got "
                        + vlDim + ", " + visionDim + ", " + maxWords);
            int g = (int) Math.round(Math.sqrt(visionTokens));
            if (visionTokens < 1 || g * g != visionTokens)
                throw new IllegalArgumentException("FrozenRandomEncoder: visionTokens must be a perfect square, got " + visionTokens);
        }
    }

    private static final String[] VIEWS = {"top", "wrist"};

    private final Config cfg;
    private final int grid;             // g
    private final int topSize, wristSize;
    private final int[] patch;          // patch side per view
    private final float[][] patchW;     // per view [3 p^2][Dv] (input-major, so the inner loop runs over channels)
    private final float[][] patchB;     // per view [Dv]
    private final float[] proj;         // [Dv][Dvl] (input-major)
    private final float[][] viewVec;    // per view [Dvl]
    private final float[] padRow;       // [Dvl]
    private final double[] imagePos;    // [To][Dvl]: 0.5 * 2D code (column, row)
    private final double[] wordPos;     // [maxWords][Dvl]: 0.5 * 1D code
    private final ConcurrentHashMap<String, float[]> words = new ConcurrentHashMap<>();

    /** An encoder for {@code topSize}^2 top and {@code wristSize}^2 wrist images. */
    public FrozenRandomEncoder(Config cfg, int topSize, int wristSize) {
        this.cfg = cfg;
        this.grid = (int) Math.round(Math.sqrt(cfg.visionTokens()));
        this.topSize = topSize;
        this.wristSize = wristSize;
        int[] sizes = {topSize, wristSize};
        patch = new int[2];
        patchW = new float[2][];
        patchB = new float[2][];
        viewVec = new float[2][];
        for (int v = 0; v < 2; v++) {
            if (sizes[v] % (2 * grid) != 0)
                throw new IllegalArgumentException("FrozenRandomEncoder: " + VIEWS[v] + " image size " + sizes[v]
                        + " is not divisible by 2*sqrt(visionTokens) = " + 2 * grid);
            patch[v] = sizes[v] / (2 * grid);
            int in = 3 * patch[v] * patch[v];
            // gain 2 so that tanh works in its non-linear range for typical patch contrasts
            patchW[v] = normals(SimRng.of(cfg.seed(), 11, v), in * cfg.visionDim(), 2.0 / Math.sqrt(in));
            patchB[v] = normals(SimRng.of(cfg.seed(), 12, v), cfg.visionDim(), 0.1);
            viewVec[v] = normals(SimRng.of(cfg.seed(), 13, v), cfg.vlDim(), 0.5);
        }
        proj = normals(SimRng.of(cfg.seed(), 14, 0), cfg.visionDim() * cfg.vlDim(), 1.0 / Math.sqrt(cfg.visionDim()));
        padRow = normals(SimRng.of(cfg.seed(), 15, 0), cfg.vlDim(), 1.0);
        int dvl = cfg.vlDim();
        imagePos = new double[cfg.visionTokens() * dvl];
        for (int t = 0; t < cfg.visionTokens(); t++)
            for (int k = 0; k < dvl; k++) imagePos[t * dvl + k] = 0.5 * posCode(k, dvl, t % grid, t / grid);
        wordPos = new double[cfg.maxWords() * dvl];
        for (int i = 0; i < cfg.maxWords(); i++)
            for (int k = 0; k < dvl; k++) wordPos[i * dvl + k] = 0.5 * posCode(k, dvl, i, 0);
    }

    private static float[] normals(SimRng r, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (r.normal() * scale);
        return a;
    }

    /** Sizes and seed. */
    public Config config() { return cfg; }
    @Override public int vlDim() { return cfg.vlDim(); }
    @Override public int vlTokens() { return 2 * cfg.visionTokens() + cfg.maxWords(); }
    @Override public int visionDim() { return cfg.visionDim(); }
    @Override public int visionTokens() { return cfg.visionTokens(); }

    @Override
    public void encodeFuture(Frame frame, float[] out, int off) {
        checkFrame(frame);
        float[] pooled = pooledPatches(frame.top(), topSize, 0);
        System.arraycopy(pooled, 0, out, off, pooled.length);
        for (int t = 0; t < cfg.visionTokens(); t++) standardise(out, off + t * cfg.visionDim(), cfg.visionDim());
    }

    @Override
    public void encodeVl(Frame frame, String instruction, float[] out, int off) {
        checkFrame(frame);
        int dvl = cfg.vlDim(), dv = cfg.visionDim(), to = cfg.visionTokens();
        int o = off;
        float[] acc = new float[dvl];
        for (int v = 0; v < 2; v++) {
            float[] pooled = v == 0 ? pooledPatches(frame.top(), topSize, 0) : pooledPatches(frame.wrist(), wristSize, 1);
            for (int t = 0; t < to; t++) {
                java.util.Arrays.fill(acc, 0f);
                for (int j = 0; j < dv; j++) {          // acc[k] += proj[j][k] * x[j], in order of j for every k
                    float xj = pooled[t * dv + j];
                    int base = j * dvl;
                    for (int k = 0; k < dvl; k++) acc[k] += proj[base + k] * xj;
                }
                for (int k = 0; k < dvl; k++) out[o + k] = (float) (acc[k] + viewVec[v][k] + imagePos[t * dvl + k]);
                standardise(out, o, dvl);
                o += dvl;
            }
        }
        encodeWords(instruction, out, o);
    }

    /**
     * Writes the {@code maxWords} instruction tokens {@code [maxWords, Dvl]} at {@code out[off]} (the tail of
     * {@link #encodeVl}; other encoders reuse it for their language tokens).
     */
    public void encodeWords(String instruction, float[] out, int off) {
        int dvl = cfg.vlDim(), o = off;
        List<String> ws = words(instruction);
        for (int i = 0; i < cfg.maxWords(); i++) {
            float[] row = i < ws.size() ? wordRow(ws.get(i)) : padRow;
            for (int k = 0; k < dvl; k++) out[o + k] = (float) (row[k] + wordPos[i * dvl + k]);
            standardise(out, o, dvl);
            o += dvl;
        }
    }

    /** Lower-cased words of an instruction (letters and digits; everything else separates). */
    static List<String> words(String instruction) {
        List<String> out = new ArrayList<>();
        for (String w : instruction.toLowerCase(Locale.ROOT).split("[^a-z0-9]+")) if (!w.isEmpty()) out.add(w);
        return out;
    }

    private float[] wordRow(String w) {
        return words.computeIfAbsent(w, k -> normals(SimRng.of(cfg.seed(), 16, fnv1a(k)), cfg.vlDim(), 1.0));
    }

    static long fnv1a(String s) {
        long h = 0xcbf29ce484222325L;
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        return h;
    }

    /** Sinusoidal code: channel k of d, first half encodes a, second half b. */
    private static double posCode(int k, int d, int a, int b) {
        int half = Math.max(1, d / 2);
        int kk = k < half ? k : k - half;
        int p = k < half ? a : b;
        double freq = StrictMath.pow(100.0, -(double) (kk / 2 * 2) / half);
        return (kk & 1) == 0 ? StrictMath.sin(p * freq) : StrictMath.cos(p * freq);
    }

    /** Patch features of one view, 2x2 average pooled: [g*g][Dv]. */
    private float[] pooledPatches(byte[] img, int n, int v) {
        int p = patch[v], dv = cfg.visionDim(), in = 3 * p * p, g2 = 2 * grid;
        float[] w = patchW[v], b = patchB[v];
        double[] pooled = new double[grid * grid * dv];
        float[] x = new float[in];
        float[] acc = new float[dv];
        for (int pr = 0; pr < g2; pr++) {
            for (int pc = 0; pc < g2; pc++) {
                int q = 0;
                for (int dy = 0; dy < p; dy++)
                    for (int dx = 0; dx < p; dx++) {
                        int idx = ((pr * p + dy) * n + pc * p + dx) * 3;
                        for (int ch = 0; ch < 3; ch++) x[q++] = (img[idx + ch] & 0xff) / 255f - 0.5f;
                    }
                int token = (pr / 2) * grid + pc / 2;
                System.arraycopy(b, 0, acc, 0, dv);
                for (int j = 0; j < in; j++) {          // acc[k] += w[j][k] * x[j], in order of j for every k
                    float xj = x[j];
                    int base = j * dv;
                    for (int k = 0; k < dv; k++) acc[k] += w[base + k] * xj;
                }
                for (int k = 0; k < dv; k++) pooled[token * dv + k] += StrictMath.tanh(acc[k]) * 0.25;
            }
        }
        float[] out = new float[pooled.length];
        for (int i = 0; i < out.length; i++) out[i] = (float) pooled[i];
        return out;
    }

    private static void standardise(float[] a, int off, int n) {
        double m = 0;
        for (int i = 0; i < n; i++) m += a[off + i];
        m /= n;
        double v = 0;
        for (int i = 0; i < n; i++) {
            double d = a[off + i] - m;
            v += d * d;
        }
        v /= n;
        double inv = 1.0 / Math.sqrt(v + 1e-6);
        for (int i = 0; i < n; i++) a[off + i] = (float) ((a[off + i] - m) * inv);
    }

    private void checkFrame(Frame f) {
        if (f.topSize() != topSize || f.wristSize() != wristSize)
            throw new IllegalArgumentException("FrozenRandomEncoder: built for top " + topSize + " / wrist " + wristSize
                    + " images, got top " + f.topSize() + " / wrist " + f.wristSize());
    }
}
