package org.dust4j.model;

import java.util.LinkedHashMap;
import java.util.Map;
import org.dust4j.tensor.Rng;
import org.dust4j.tensor.Tensor;

/**
 * Training noise of contract section 5, counter-based (every value is a pure function of the seed): τ = (s - u)/s
 * with u ~ Beta(alpha, beta) per sample, independently for actions and vision when {@code decoupled_noise}, else one
 * τ for both; Gaussian ε for actions and vision. Beta(a, 1) is drawn by the inverse CDF u = U^(1/a); other
 * (a, b) as X/(X+Y) with Gamma variates from Marsaglia-Tsang. Action-free samples get τ_A = 0 (in
 * {@link PolicyModel#loss}).
 */
public final class FlowNoise {
    private FlowNoise() {}

    /** Stream ids under one step seed. */
    private static final long TAU_A = 0, TAU_O = 1, EPS_A = 2, EPS_O = 3;

    /** The noise parameters of a config. */
    public record Params(double alpha, double beta, double s, boolean decoupled) {
        public static Params of(ModelConfig c) {
            return switch (c) {
                case DustConfig d -> new Params(d.noiseBetaAlpha(), d.noiseBetaBeta(), d.noiseS(), d.decoupledNoise());
                case Gr00tConfig g -> new Params(g.head().noiseBetaAlpha(), g.head().noiseBetaBeta(), g.head().noiseS(), false);
                case FlareConfig f -> of(f.base());
            };
        }
    }

    /** u ~ Beta(a, b) for draw {@code index} of stream {@code seed}. */
    public static double beta(long seed, long index, double a, double b) {
        if (b == 1.0) return Math.pow(Rng.uniformDouble(seed, index), 1.0 / a);
        long sub = Rng.bits(seed, index);
        double x = gamma(Rng.bits(sub, 0), a), y = gamma(Rng.bits(sub, 1), b);
        return x / (x + y);
    }

    /**
     * Gamma(shape, 1) by Marsaglia-Tsang from the stream {@code seed} (normals and uniforms on two separate
     * sub-streams, since {@link Rng#normal} reads the uniform counters 2j and 2j+1); shape < 1 via the
     * Gamma(shape+1)·U^(1/shape) boost.
     */
    static double gamma(long seed, double shape) {
        long normals = Rng.bits(seed, 0), uniforms = Rng.bits(seed, 1);
        long i = 0, j = 0;
        double boost = 1.0;
        if (shape < 1.0) {
            boost = Math.pow(1.0 - Rng.uniformDouble(uniforms, j++), 1.0 / shape);
            shape += 1.0;
        }
        double d = shape - 1.0 / 3.0, c = 1.0 / Math.sqrt(9.0 * d);
        while (true) {
            double x = Rng.normal(normals, i++), v = 1.0 + c * x;
            if (v <= 0) continue;
            v = v * v * v;
            double u = 1.0 - Rng.uniformDouble(uniforms, j++);
            if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v * boost;
        }
    }

    /** τ = (s - u)/s for B samples of the stream. */
    static float[] taus(long seed, int b, Params p) {
        float[] t = new float[b];
        for (int i = 0; i < b; i++) t[i] = (float) ((p.s() - beta(seed, i, p.alpha(), p.beta())) / p.s());
        return t;
    }

    static Tensor normal(long seed, int... shape) {
        int n = 1;
        for (int d : shape) n *= d;
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = Rng.normal(seed, i);
        return Tensor.of(v, shape);
    }

    /**
     * Adds eps_action, tau_action (and for dust eps_vision, tau_vision) drawn from {@code seed} to a batch holding
     * actions (and future); entries already present are kept (fixed noise, as the loss command uses it).
     */
    public static Map<String, Tensor> complete(Map<String, Tensor> batch, ModelConfig config, long seed) {
        Map<String, Tensor> out = new LinkedHashMap<>(batch);
        Params p = Params.of(config);
        Tensor actions = batch.get("actions");
        if (actions == null) throw new IllegalArgumentException("training batch: 'actions' is missing");
        int b = actions.size(0);
        float[] tauA = taus(Rng.bits(seed, TAU_A), b, p);
        out.putIfAbsent("tau_action", Tensor.of(tauA, b));
        out.putIfAbsent("eps_action", normal(Rng.bits(seed, EPS_A), actions.shape()));
        if (config instanceof DustConfig) {
            Tensor future = batch.get("future");
            if (future == null) throw new IllegalArgumentException("training batch: 'future' is missing");
            out.putIfAbsent("tau_vision", Tensor.of(p.decoupled() ? taus(Rng.bits(seed, TAU_O), b, p) : tauA.clone(), b));
            out.putIfAbsent("eps_vision", normal(Rng.bits(seed, EPS_O), future.shape()));
        }
        if (!out.containsKey("has_action")) out.put("has_action", Tensor.full(1f, b));
        if (!out.containsKey("action_mask")) out.put("action_mask", Tensor.full(1f, actions.shape()));
        return out;
    }
}
