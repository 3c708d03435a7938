package org.dust4j.sim.train;

import java.util.List;
import java.util.Map;
import org.dust4j.model.DustConfig;
import org.dust4j.model.ModelConfig;
import org.dust4j.model.PolicyModel;
import org.dust4j.model.SamplerOptions;
import org.dust4j.sim.Observation;
import org.dust4j.sim.Policy;
import org.dust4j.sim.PolicyInputs;
import org.dust4j.sim.Task;
import org.dust4j.sim.VisionLanguageEncoder;
import org.dust4j.tensor.Rng;
import org.dust4j.tensor.Tensor;

/**
 * A trained policy head as a closed-loop {@link Policy}: encodes the live observation exactly as training batches
 * were built ({@link PolicyInputs}), samples an action chunk with the given sampler options, returns its rows.
 * The initial noise of each call is a pure function of (seed, episode seed, step), so an evaluation is
 * reproducible. One instance per concurrently running episode (it remembers the episode seed).
 */
public final class ModelPolicy implements Policy {
    private final PolicyModel model;
    private final SamplerOptions options;
    private final VisionLanguageEncoder encoder;
    private final SimSpec spec;
    private final long seed;
    private long episodeSeed;

    public ModelPolicy(PolicyModel model, SamplerOptions options, VisionLanguageEncoder encoder, SimSpec spec, long seed) {
        this.model = model;
        this.options = options;
        this.encoder = encoder;
        this.spec = spec;
        this.seed = seed;
        model.eval();
    }

    @Override
    public void reset(Task task, long episodeSeed) {
        this.episodeSeed = episodeSeed;
    }

    @Override
    public float[][] actChunk(Observation obs) {
        Map<String, Tensor> in = new java.util.LinkedHashMap<>(PolicyInputs.encode(List.of(obs), encoder, spec.samplerSpec()));
        long ns = Rng.bits(Rng.bits(seed, episodeSeed), obs.step());
        ModelConfig c = model.config();
        in.put("noise_action", normal(Rng.bits(ns, 0), 1, c.horizon(), c.actionDimension()));
        if (c instanceof DustConfig d) in.put("noise_vision", normal(Rng.bits(ns, 1), 1, d.numVisionTokens(), d.visionTokenDim()));
        return PolicyInputs.chunk(model.sample(in, options).get("actions"));
    }

    static Tensor normal(long seed, int... shape) {
        int n = 1;
        for (int d : shape) n *= d;
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = Rng.normal(seed, i);
        return Tensor.of(v, shape);
    }
}
