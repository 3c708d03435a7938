package org.dust4j.sim;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.dust4j.tensor.Tensor;

/**
 * Builds the model's conditioning inputs from live observations, exactly as {@link BatchSampler} builds them
 * from recorded data (same encoder calls, same state padding), so a learned policy sees at evaluation time
 * what it saw in training. Use it inside a {@link Policy} that wraps a model's sampler.
 */
public final class PolicyInputs {
    private PolicyInputs() {}

    /**
     * {@code vl [B,S,Dvl]}, {@code state [B,1,Ds]} and {@code embodiment_id [B]} (I64) for a batch of
     * observations (usually one).
     */
    public static Map<String, Tensor> encode(List<Observation> obs, VisionLanguageEncoder enc, BatchSampler.Spec spec) {
        int b = obs.size(), s = enc.vlTokens(), d = enc.vlDim(), ds = spec.maxStateDim();
        if (b == 0) throw new IllegalArgumentException("PolicyInputs.encode: no observations");
        float[] vl = new float[b * s * d], state = new float[b * ds];
        long[] ids = new long[b];
        for (int i = 0; i < b; i++) {
            Observation o = obs.get(i);
            enc.encodeVl(o.frame(), o.instruction(), vl, i * s * d);
            System.arraycopy(o.paddedState(ds), 0, state, i * ds, ds);
            ids[i] = spec.embodimentId();
        }
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("vl", Tensor.of(vl, b, s, d));
        m.put("state", Tensor.of(state, b, 1, ds));
        m.put("embodiment_id", Tensor.ofLongs(ids, b));
        return m;
    }

    /** The rows of a {@code [Ta, Da]} (or {@code [1, Ta, Da]}) action tensor as an action chunk for the evaluator. */
    public static float[][] chunk(Tensor actions) {
        int[] sh = actions.shape();
        if (!(sh.length == 2 || (sh.length == 3 && sh[0] == 1)) || sh[sh.length - 1] < World.ACTION_DIM)
            throw new IllegalArgumentException("PolicyInputs.chunk: expected actions [Ta, Da] or [1, Ta, Da] with Da >= "
                    + World.ACTION_DIM + ", got " + java.util.Arrays.toString(sh));
        int ta = sh[sh.length - 2], da = sh[sh.length - 1];
        float[] a = actions.to(org.dust4j.tensor.Device.CPU).toFloatArray();   // the sampled chunk, once per control step
        float[][] out = new float[ta][da];
        for (int i = 0; i < ta; i++) System.arraycopy(a, i * da, out[i], 0, da);
        return out;
    }
}
