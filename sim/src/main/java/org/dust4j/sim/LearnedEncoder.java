package org.dust4j.sim;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.dust4j.tensor.Tensor;
import org.dust4j.weights.SafetensorsFile;
import org.dust4j.weights.SafetensorsWriter;

/**
 * The learned frozen image encoder of the v2 suite: a small convolutional network per camera view, trained once
 * by dust4j on simulator frames and then frozen. Per view: a strided convolution whose kernel and stride equal
 * one token cell (top: the 16 x 16 px cell 2 x 2 average pooled to 8 x 8; wrist: the 8 x 8 px cell), so each
 * of the 4 x 4 tokens sees its own cell, 192 inputs -> {@link #HIDDEN} ReLU units -> 1 x 1 convolution to the
 * 16 token channels.
 *
 * <p>Objective: supervised decoding of per-token scene facts. The target of each token is the
 * {@link OracleEncoder}'s 16 channels for the same cell (occupancy of every object, pad, the cabinet, drawer,
 * handle and gripper, the gripper's closure, object centroids), mean squared error. Why: these facts are
 * exactly what a v2 policy must get from pixels (where things are, whether the drawer is open, where the goal
 * pads lie), the labels are exact and free, and the result is a compact, interpretable token grid of the
 * same shape as the oracle's, so the oracle is its ceiling. Its quality is reported as the linear-probe R^2 of
 * the scene state ({@link LinearProbe}) beside the oracle's and the random stand-in's.
 *
 * <p>Training is single-threaded plain float/double arithmetic in a fixed order with a seeded initialisation
 * and a seeded shuffle, so the weights are identical bit for bit for a given (seed, data settings), at any
 * thread count.
 */
public final class LearnedEncoder extends TokenGridEncoder {
    /** Inputs per token: an 8 x 8 RGB patch. */
    public static final int IN = 8 * 8 * 3;
    /** Hidden units. */
    public static final int HIDDEN = 48;
    /** Format tag in the safetensors metadata. */
    public static final String FORMAT = "dust4j-v2-encoder-1";

    final float[][] w1 = new float[2][IN * HIDDEN], b1 = new float[2][HIDDEN], w2 = new float[2][HIDDEN * CHANNELS], b2 = new float[2][CHANNELS];

    private LearnedEncoder() {}

    /** Training settings (recorded in the weights' metadata). */
    public record Settings(long seed, int episodesPerTask, int stride, int epochs, int batch, double lr) {
        public Settings {
            if (epochs < 1 || epochs > 10_000) throw new IllegalArgumentException("epochs must be in [1, 10000], got " + epochs);
            if (batch < 1 || batch > 1 << 20) throw new IllegalArgumentException("batch must be in [1, 2^20], got " + batch);
            if (!(lr > 0) || !Double.isFinite(lr)) throw new IllegalArgumentException("lr must be a positive number, got " + lr);
        }

        /** The shipped weights' settings. */
        public static final Settings DEFAULT = new Settings(0, 40, 4, 16, 64, 2e-3);
    }

    /** The cell input of token {@code t} of a view, pixels in [-0.5, 0.5]. */
    static void patch(byte[] img, int size, int t, float[] x) {
        int cell = size / GRID, pool = cell / 8;
        if (pool < 1 || pool * 8 * GRID != size) throw new IllegalArgumentException("LearnedEncoder: image side " + size + " must be 32 * k");
        int r0 = (t / GRID) * cell, c0 = (t % GRID) * cell;
        float inv = 1f / (pool * pool * 255f);
        int q = 0;
        for (int r = 0; r < 8; r++)
            for (int c = 0; c < 8; c++)
                for (int ch = 0; ch < 3; ch++) {
                    int s = 0;
                    for (int dy = 0; dy < pool; dy++)
                        for (int dx = 0; dx < pool; dx++) s += img[((r0 + r * pool + dy) * size + c0 + c * pool + dx) * 3 + ch] & 0xff;
                    x[q++] = s * inv - 0.5f;
                }
    }

    @Override
    public void viewTokens(byte[] img, int size, int view, float[] out) {
        float[] x = new float[IN], h = new float[HIDDEN], y = new float[CHANNELS];
        for (int t = 0; t < TOKENS; t++) {
            patch(img, size, t, x);
            forward(view, x, h, y);
            System.arraycopy(y, 0, out, t * CHANNELS, CHANNELS);
        }
    }

    private void forward(int v, float[] x, float[] h, float[] y) {
        float[] w = w1[v];
        System.arraycopy(b1[v], 0, h, 0, HIDDEN);
        for (int i = 0; i < IN; i++) {
            float xi = x[i];
            int base = i * HIDDEN;
            for (int j = 0; j < HIDDEN; j++) h[j] += w[base + j] * xi;
        }
        for (int j = 0; j < HIDDEN; j++) if (h[j] < 0) h[j] = 0;
        System.arraycopy(b2[v], 0, y, 0, CHANNELS);
        for (int j = 0; j < HIDDEN; j++) {
            float hj = h[j];
            int base = j * CHANNELS;
            for (int k = 0; k < CHANNELS; k++) y[k] += w2[v][base + k] * hj;
        }
    }

    /**
     * Trains a fresh encoder on expert frames of {@code tasks} (seed stream {@link SceneSamples#ENCODER_TRAIN}),
     * with Adam on the per-token MSE against the oracle. {@code log} (may be null) gets one line per epoch.
     */
    public static LearnedEncoder train(List<Task> tasks, Settings s, Consumer<String> log) {
        Renderer r = new Renderer(TOP, WRIST);
        List<SceneSamples.Sample> data = SceneSamples.collect(tasks, s.episodesPerTask(), s.seed(), SceneSamples.ENCODER_TRAIN, s.stride(), r);
        OracleEncoder oracle = new OracleEncoder();
        LearnedEncoder e = new LearnedEncoder();
        for (int v = 0; v < 2; v++) {
            SimRng rng = SimRng.of(s.seed(), 0xe4c, v);
            for (int i = 0; i < e.w1[v].length; i++) e.w1[v][i] = (float) (rng.normal() * Math.sqrt(2.0 / IN));
            for (int i = 0; i < e.w2[v].length; i++) e.w2[v][i] = (float) (rng.normal() * Math.sqrt(1.0 / HIDDEN));
        }
        int n = data.size() * TOKENS;
        for (int v = 0; v < 2; v++) {
            float[] xs = new float[n * IN], ys = new float[n * CHANNELS], tmp = new float[TOKENS * CHANNELS], x = new float[IN];
            for (int f = 0; f < data.size(); f++) {
                Frame fr = data.get(f).frame();
                byte[] img = v == 0 ? fr.top() : fr.wrist();
                int size = v == 0 ? fr.topSize() : fr.wristSize();
                oracle.viewTokens(img, size, v, tmp);
                System.arraycopy(tmp, 0, ys, f * TOKENS * CHANNELS, tmp.length);
                for (int t = 0; t < TOKENS; t++) {
                    patch(img, size, t, x);
                    System.arraycopy(x, 0, xs, (f * TOKENS + t) * IN, IN);
                }
            }
            e.fit(v, xs, ys, n, s, log);
        }
        return e;
    }

    private void fit(int v, float[] xs, float[] ys, int n, Settings s, Consumer<String> log) {
        float[][] params = {w1[v], b1[v], w2[v], b2[v]};
        double[][] m = new double[4][], vv = new double[4][], g = new double[4][];
        for (int p = 0; p < 4; p++) {
            m[p] = new double[params[p].length];
            vv[p] = new double[params[p].length];
            g[p] = new double[params[p].length];
        }
        SimRng rng = SimRng.of(s.seed(), 0x5ff, v);
        int[] order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        float[] x = new float[IN], h = new float[HIDDEN], y = new float[CHANNELS];
        double[] dy = new double[CHANNELS], dh = new double[HIDDEN];
        long step = 0;
        for (int epoch = 1; epoch <= s.epochs(); epoch++) {
            for (int i = n - 1; i > 0; i--) {           // Fisher-Yates with the seeded stream
                int j = rng.nextInt(i + 1), t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
            double lossSum = 0;
            for (int start = 0; start < n; start += s.batch()) {
                int end = Math.min(n, start + s.batch());
                for (double[] gp : g) java.util.Arrays.fill(gp, 0);
                for (int bi = start; bi < end; bi++) {
                    int idx = order[bi];
                    System.arraycopy(xs, idx * IN, x, 0, IN);
                    forward(v, x, h, y);
                    for (int k = 0; k < CHANNELS; k++) {
                        double d = y[k] - ys[idx * CHANNELS + k];
                        lossSum += d * d;
                        dy[k] = 2 * d / CHANNELS;
                    }
                    java.util.Arrays.fill(dh, 0);
                    for (int j = 0; j < HIDDEN; j++) {
                        if (h[j] <= 0) continue;
                        int base = j * CHANNELS;
                        double acc = 0;
                        for (int k = 0; k < CHANNELS; k++) {
                            g[2][base + k] += dy[k] * h[j];
                            acc += dy[k] * w2[v][base + k];
                        }
                        dh[j] = acc;
                    }
                    for (int k = 0; k < CHANNELS; k++) g[3][k] += dy[k];
                    for (int i = 0; i < IN; i++) {
                        double xi = x[i];
                        if (xi == 0) continue;
                        int base = i * HIDDEN;
                        for (int j = 0; j < HIDDEN; j++) g[0][base + j] += dh[j] * xi;
                    }
                    for (int j = 0; j < HIDDEN; j++) g[1][j] += dh[j];
                }
                step++;
                double bs = end - start, b1c = 1 - Math.pow(0.9, step), b2c = 1 - Math.pow(0.999, step);
                for (int p = 0; p < 4; p++) {
                    float[] w = params[p];
                    for (int i = 0; i < w.length; i++) {
                        double gi = g[p][i] / bs;
                        m[p][i] = 0.9 * m[p][i] + 0.1 * gi;
                        vv[p][i] = 0.999 * vv[p][i] + 0.001 * gi * gi;
                        w[i] -= (float) (s.lr() * (m[p][i] / b1c) / (Math.sqrt(vv[p][i] / b2c) + 1e-8));
                    }
                }
            }
            if (log != null)
                log.accept(String.format(java.util.Locale.ROOT, "%s epoch %d/%d  mse %.5f", v == 0 ? "top" : "wrist", epoch, s.epochs(),
                        lossSum / ((double) n * CHANNELS)));
        }
    }

    /** Writes the weights as safetensors (atomic), with the training settings in the metadata. */
    public void save(Path file, Settings s) throws IOException {
        SafetensorsWriter w = new SafetensorsWriter();
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", FORMAT);
        meta.put("objective", "per-token MSE against OracleEncoder scene facts");
        meta.put("settings", s.toString());
        w.metadata(meta);
        String[] views = {"top", "wrist"};
        for (int v = 0; v < 2; v++) {
            w.put(views[v] + ".w1", Tensor.of(w1[v], IN, HIDDEN));
            w.put(views[v] + ".b1", Tensor.of(b1[v], HIDDEN));
            w.put(views[v] + ".w2", Tensor.of(w2[v], HIDDEN, CHANNELS));
            w.put(views[v] + ".b2", Tensor.of(b2[v], CHANNELS));
        }
        w.write(file);
    }

    /** Loads weights written by {@link #save}; a wrong format or shape is a one-line error naming the file. */
    public static LearnedEncoder load(Path file) throws IOException {
        LearnedEncoder e = new LearnedEncoder();
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            if (!FORMAT.equals(f.metadata().get("format")))
                throw new IllegalArgumentException(file + ": not a dust4j v2 encoder (metadata format must be " + FORMAT + ")");
            String[] views = {"top", "wrist"};
            for (int v = 0; v < 2; v++) {
                copy(f, views[v] + ".w1", e.w1[v], file);
                copy(f, views[v] + ".b1", e.b1[v], file);
                copy(f, views[v] + ".w2", e.w2[v], file);
                copy(f, views[v] + ".b2", e.b2[v], file);
            }
        }
        return e;
    }

    private static void copy(SafetensorsFile f, String name, float[] dst, Path file) throws IOException {
        if (!f.names().contains(name)) throw new IllegalArgumentException(file + ": missing tensor " + name);
        float[] src = f.toTensor(name).toFloatArray();
        if (src.length != dst.length) throw new IllegalArgumentException(file + ": tensor " + name + " has " + src.length + " values, expected " + dst.length);
        for (float x : src) if (!Float.isFinite(x)) throw new IllegalArgumentException(file + ": tensor " + name + " holds a non-finite value");
        System.arraycopy(src, 0, dst, 0, dst.length);
    }
}
