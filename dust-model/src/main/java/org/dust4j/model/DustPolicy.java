package org.dust4j.model;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.dust4j.tensor.Device;
import org.dust4j.tensor.Rng;
import org.dust4j.tensor.Tensor;
import org.dust4j.weights.SafetensorsException;

/**
 * The inference API for embedders: {@code DustPolicy.load(dir).sample(observation)} returns an action chunk.
 * Works for both model types (DUST runs the asynchronous joint sampler, GR00T-N1.5 its Euler loop). Thread-safe:
 * the model is in eval mode and never mutated, sampling records no tape, and every call allocates its own
 * state, so concurrent callers share one loaded model.
 */
public final class DustPolicy {
    /**
     * One observation: backbone features {@code vl} [S][Dvl], the robot state (at most max_state_dim values,
     * zero-padded as GR00T does), the embodiment id and the seed of the initial noise.
     */
    public record Observation(float[][] vl, float[] state, int embodimentId, long noiseSeed) {}

    /** The sampled action chunk [Ta][Da] and, for DUST, the predicted future-observation embedding [To][Dv] (else null). */
    public record ActionChunk(float[][] actions, float[][] vision) {}

    private final PolicyModel model;
    private final SamplerOptions options;

    public DustPolicy(PolicyModel model, SamplerOptions options) {
        this.model = model;
        this.options = options == null ? SamplerOptions.defaults() : options;
        model.eval();
    }

    /** Loads a model directory (config.json + model.safetensors or shards) with the default sampler options. */
    public static DustPolicy load(Path dir) throws SafetensorsException {
        return load(dir, Device.CPU);
    }

    /**
     * Loads a model directory onto {@code device} (e.g. {@code Backends.device("cuda")}): parameters live there, each
     * call uploads the observation and downloads the chunk.
     */
    public static DustPolicy load(Path dir, Device device) throws SafetensorsException {
        return new DustPolicy(PolicyModel.load(dir, 0L, device), SamplerOptions.defaults());
    }

    /** The same policy with other sampler options (N_A, q, variant). */
    public DustPolicy withOptions(SamplerOptions o) {
        return new DustPolicy(model, o);
    }

    public PolicyModel model() { return model; }

    public SamplerOptions options() { return options; }

    /** Samples one action chunk. */
    public ActionChunk sample(Observation obs) {
        ModelConfig c = model.config();
        int s = obs.vl().length, dvl = c.vlDim();
        float[] vl = new float[s * dvl];
        for (int i = 0; i < s; i++) {
            if (obs.vl()[i].length != dvl) {
                throw new IllegalArgumentException("policy: vl row " + i + " has " + obs.vl()[i].length + " values, the model expects " + dvl);
            }
            System.arraycopy(obs.vl()[i], 0, vl, i * dvl, dvl);
        }
        if (obs.state().length > c.stateDim()) {
            throw new IllegalArgumentException("policy: state has " + obs.state().length + " values, the model takes at most " + c.stateDim());
        }
        float[] state = java.util.Arrays.copyOf(obs.state(), c.stateDim());
        Map<String, Tensor> in = new LinkedHashMap<>();
        in.put("vl", Tensor.of(vl, 1, s, dvl));
        in.put("state", Tensor.of(state, 1, 1, c.stateDim()));
        in.put("embodiment_id", Tensor.ofLongs(new long[] {obs.embodimentId()}, 1));
        in.put("noise_action", FlowNoise.normal(Rng.bits(obs.noiseSeed(), 0), 1, c.horizon(), c.actionDimension()));
        if (c instanceof DustConfig d) {
            in.put("noise_vision", FlowNoise.normal(Rng.bits(obs.noiseSeed(), 1), 1, d.numVisionTokens(), d.visionTokenDim()));
        }
        Map<String, Tensor> out = model.sample(in, options);
        Tensor v = out.get("vision");
        return new ActionChunk(rows(out.get("actions")), v == null ? null : rows(v));
    }

    private static float[][] rows(Tensor t) {
        int n = t.size(1), d = t.size(2);
        float[] all = t.to(Device.CPU).toFloatArray();   // the result, once per call
        float[][] r = new float[n][d];
        for (int i = 0; i < n; i++) System.arraycopy(all, i * d, r[i], 0, d);
        return r;
    }
}
