package org.dust4j.sim.train;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.dust4j.model.DustConfig;
import org.dust4j.model.InputSpec;
import org.dust4j.model.ModelConfig;
import org.dust4j.model.PolicyModel;
import org.dust4j.model.SamplerOptions;
import org.dust4j.sim.Batch;
import org.dust4j.sim.BatchSampler;
import org.dust4j.sim.DatasetReader;
import org.dust4j.sim.Evaluator;
import org.dust4j.sim.Task;
import org.dust4j.sim.VisionLanguageEncoder;
import org.dust4j.tensor.Rng;
import org.dust4j.tensor.Tensor;

/**
 * The diagnostics that decide whether DUST's test-time-scaling claim is testable on a suite (issue 9), on
 * held-out samples of a dataset (use a dataset generated with another seed than the training data):
 * <ul>
 *   <li>(a) {@link #visionReliance}: the action flow-matching loss at fixed tau_A in {0.25, 0.5, 0.75} with the
 *       true future at tau_O in {0, 0.5, 1}. If the loss does not depend on tau_O, a cleaner future cannot help
 *       the actions and no sampler can scale.</li>
 *   <li>(b) {@link #sweepPoint}: one point of the N_O sweep: closed-loop success, the relative change of the
 *       sampled actions against q = 1 (same noise), the future-embedding error against the true future, and the
 *       latency of one sampler call.</li>
 *   <li>(c) {@link #openLoop}: open-loop action error against the dataset's labels (the clean expert in v2)
 *       with the model's sampled future against an Euler sampler whose future input is held at the true future
 *       (tau_O = 1).</li>
 * </ul>
 * All noise is seeded; the samples are a pure function of (dataset, seed).
 */
public final class Diagnostics {
    private Diagnostics() {}

    /** Fixed action noise levels of the probe. */
    public static final double[] TAU_A = {0.25, 0.5, 0.75};
    /** Fixed future noise levels of the probe (1 = the true future, clean). */
    public static final double[] TAU_O = {0, 0.5, 1};

    /** A fixed held-out batch of {@code n} samples with its noise. */
    static Map<String, Tensor> heldOut(PolicyModel m, SimSpec spec, VisionLanguageEncoder enc, DatasetReader data, int n, long seed) {
        if (n < 1 || n > 4096) throw new IllegalArgumentException("samples must be in [1, 4096], got " + n);
        Batch b = new BatchSampler(data, spec.samplerSpec(), enc, Rng.bits(seed, 0xD1A6L)).next(n);
        Map<String, Tensor> in = new LinkedHashMap<>(b.asMap());
        ModelConfig c = m.config();
        in.put("eps_action", ModelPolicy.normal(Rng.bits(seed, 1), n, c.horizon(), c.actionDimension()));
        int[] fs = b.future().shape();
        in.put("eps_vision", ModelPolicy.normal(Rng.bits(seed, 2), fs));
        in.put("noise_action", ModelPolicy.normal(Rng.bits(seed, 3), n, c.horizon(), c.actionDimension()));
        if (c instanceof DustConfig d) in.put("noise_vision", ModelPolicy.normal(Rng.bits(seed, 4), n, d.numVisionTokens(), d.visionTokenDim()));
        return in;
    }

    private static Map<String, Tensor> only(InputSpec spec, Map<String, Tensor> in) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (InputSpec.Entry e : spec.entries()) if (in.containsKey(e.name())) out.put(e.name(), in.get(e.name()));
        return out;
    }

    private static Tensor fill(int n, double v) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, (float) v);
        return Tensor.of(a, n);
    }

    /**
     * (a) Action loss {@code [TAU_A][TAU_O]} on {@code samples} held-out samples. Heads without a future input
     * (GR00T, FLARE) give the same row for every tau_O.
     */
    public static double[][] visionReliance(PolicyModel m, SimSpec spec, DatasetReader data, int samples, long seed) {
        Map<String, Tensor> base = heldOut(m, spec, spec.newEncoder(), data, samples, seed);
        double[][] out = new double[TAU_A.length][TAU_O.length];
        for (int i = 0; i < TAU_A.length; i++) {
            for (int j = 0; j < TAU_O.length; j++) {
                Map<String, Tensor> in = new LinkedHashMap<>(base);
                in.put("tau_action", fill(samples, TAU_A[i]));
                in.put("tau_vision", fill(samples, TAU_O[j]));
                out[i][j] = m.loss(only(m.lossSpec(), in)).lossAction().value().toFloatArray()[0];
            }
        }
        return out;
    }

    /** One point of the sweep. */
    public record SweepPoint(String label, int actionSteps, int visionSteps, SamplerOptions.Variant variant, double success, int successes,
                             int episodes, double relActionChange, double futureError, double latencyMs) {}

    /**
     * (b) One sweep point: {@code options} against the synchronous reference {@code (N_A, q = 1)} on the same
     * held-out observations and noise, plus closed-loop success on {@code tasks}.
     */
    public static SweepPoint sweepPoint(PolicyModel m, SimSpec spec, DatasetReader data, int samples, long seed, SamplerOptions options, List<Task> tasks,
                                        int episodesPerTask, long evalSeed, int executeSteps, int threads) {
        Map<String, Tensor> in = only(m.sampleSpec(), heldOut(m, spec, spec.newEncoder(), data, samples, seed));
        Map<String, Tensor> full = heldOut(m, spec, spec.newEncoder(), data, samples, seed);
        float[] ref = m.sample(in, new SamplerOptions(options.actionSteps(), 1, options.variant())).get("actions").toFloatArray();
        long t0 = System.nanoTime();
        Map<String, Tensor> s = m.sample(in, options);
        double latency = (System.nanoTime() - t0) / 1e6 / samples;
        float[] a = s.get("actions").toFloatArray();
        double num = 0, den = 0;
        for (int i = 0; i < a.length; i++) {
            num += (a[i] - ref[i]) * (double) (a[i] - ref[i]);
            den += ref[i] * (double) ref[i];
        }
        double futErr = Double.NaN;
        if (s.containsKey("vision") && s.get("vision") != null) {
            float[] v = s.get("vision").toFloatArray(), f = full.get("future").toFloatArray();
            double e = 0;
            for (int i = 0; i < v.length; i++) e += (v[i] - f[i]) * (double) (v[i] - f[i]);
            futErr = e / v.length;
        }
        int na = options.actionSteps() == 0 ? m.config().inferenceSteps() : options.actionSteps();
        Evaluator.Result r = ClosedLoop.evaluate(m, spec, options, tasks, episodesPerTask, evalSeed, executeSteps, threads, null);
        return new SweepPoint("", na, na * options.q(), options.variant(), r.rate(), r.successes(), r.episodes(), Math.sqrt(num / Math.max(den, 1e-30)),
                futErr, latency);
    }

    /**
     * The sweep of issue 9: N_O in {4, 8, 16, 32, 64} with N_A = 4 for {@code start} and {@code end}, plus the
     * synchronous control N_A = N_O in {4, 16}. {@code nos} may restrict N_O (smoke runs).
     */
    public static List<SweepPoint> sweep(PolicyModel m, SimSpec spec, DatasetReader data, int samples, long seed, int[] nos, List<Task> tasks,
                                         int episodesPerTask, long evalSeed, int executeSteps, int threads) {
        List<SweepPoint> out = new ArrayList<>();
        for (SamplerOptions.Variant v : SamplerOptions.Variant.values())
            for (int no : nos) {
                if (no % 4 != 0) throw new IllegalArgumentException("N_O must be a multiple of N_A = 4, got " + no);
                SweepPoint p = sweepPoint(m, spec, data, samples, seed, new SamplerOptions(4, no / 4, v), tasks, episodesPerTask, evalSeed, executeSteps, threads);
                out.add(relabel(p, "N_A=4 " + v.name().toLowerCase(java.util.Locale.ROOT)));
            }
        for (int no : new int[] {4, 16}) {
            SweepPoint p = sweepPoint(m, spec, data, samples, seed, new SamplerOptions(no, 1, SamplerOptions.Variant.START), tasks, episodesPerTask, evalSeed,
                    executeSteps, threads);
            out.add(relabel(p, "synchronous"));
        }
        return out;
    }

    private static SweepPoint relabel(SweepPoint p, String label) {
        return new SweepPoint(label, p.actionSteps(), p.visionSteps(), p.variant(), p.success(), p.successes(), p.episodes(), p.relActionChange(),
                p.futureError(), p.latencyMs());
    }

    /**
     * (c) Open-loop action MSE against the labels (masked), {sampled future, true future}. The true-future run
     * integrates the actions with Euler over N_A steps of the forward velocity while the future input stays at
     * the true future (t_vision = bucket(1)); heads without a future input give NaN for it.
     */
    public static double[] openLoop(PolicyModel m, SimSpec spec, DatasetReader data, int samples, long seed) {
        Map<String, Tensor> full = heldOut(m, spec, spec.newEncoder(), data, samples, seed);
        ModelConfig c = m.config();
        float[] labels = full.get("actions").toFloatArray(), mask = full.get("action_mask").toFloatArray();
        float[] sampled = m.sample(only(m.sampleSpec(), full), SamplerOptions.defaults()).get("actions").toFloatArray();
        double errSampled = maskedMse(sampled, labels, mask), errTrue = Double.NaN;
        if (c instanceof DustConfig d) {
            int na = d.inferenceSteps(), buckets = d.buckets();
            float[] a = full.get("noise_action").toFloatArray().clone();
            int[] shape = full.get("noise_action").shape();
            long[] tO = new long[samples], tA = new long[samples];
            java.util.Arrays.fill(tO, PolicyModel.bucket(1.0, buckets));
            for (int k = 0; k < na; k++) {
                java.util.Arrays.fill(tA, PolicyModel.bucket((double) k / na, buckets));
                Map<String, Tensor> in = new LinkedHashMap<>();
                in.put("vl", full.get("vl"));
                in.put("state", full.get("state"));
                in.put("actions_noisy", Tensor.of(a, shape));
                in.put("vision_noisy", full.get("future"));
                in.put("t_action", Tensor.ofLongs(tA, samples));
                in.put("t_vision", Tensor.ofLongs(tO, samples));
                in.put("embodiment_id", full.get("embodiment_id"));
                float[] v = m.forward(in).get("v_action").toFloatArray();
                for (int i = 0; i < a.length; i++) a[i] += v[i] / na;
            }
            errTrue = maskedMse(a, labels, mask);
        }
        return new double[] {errSampled, errTrue};
    }

    private static double maskedMse(float[] a, float[] y, float[] mask) {
        double s = 0, n = 0;
        for (int i = 0; i < a.length; i++) {
            if (mask[i] == 0) continue;
            s += (a[i] - y[i]) * (double) (a[i] - y[i]);
            n++;
        }
        return n == 0 ? Double.NaN : s / n;
    }
}
