package org.dust4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.dust4j.tensor.Rng;
import org.dust4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

class PolicyTest {
    static DustPolicy.Observation obs(ModelConfig c, long seed) {
        float[][] vl = new float[5][c.vlDim()];
        for (int i = 0; i < 5; i++) for (int j = 0; j < c.vlDim(); j++) vl[i][j] = Rng.normal(seed, i * 100 + j);
        float[] state = new float[c.stateDim() - 1];                    // shorter than max_state_dim: zero-padded
        for (int j = 0; j < state.length; j++) state[j] = Rng.normal(seed + 1, j);
        return new DustPolicy.Observation(vl, state, (int) (seed % c.embodiments()), seed);
    }

    /** The policy samples exactly what PolicyModel.sample gives for the same (padded) inputs and noise. */
    @Test
    void sampleMatchesTheModelSampler() throws Exception {
        DustPolicy p = DustPolicy.load(Fixtures.dir("dust-dual")).withOptions(new SamplerOptions(4, 2, SamplerOptions.Variant.END));
        ModelConfig c = p.model().config();
        DustPolicy.Observation o = obs(c, 7);
        DustPolicy.ActionChunk chunk = p.sample(o);
        Map<String, Tensor> in = new LinkedHashMap<>();
        float[] vl = new float[5 * c.vlDim()];
        for (int i = 0; i < 5; i++) System.arraycopy(o.vl()[i], 0, vl, i * c.vlDim(), c.vlDim());
        in.put("vl", Tensor.of(vl, 1, 5, c.vlDim()));
        in.put("state", Tensor.of(java.util.Arrays.copyOf(o.state(), c.stateDim()), 1, 1, c.stateDim()));
        in.put("embodiment_id", Tensor.ofLongs(new long[] {o.embodimentId()}, 1));
        in.put("noise_action", FlowNoise.normal(Rng.bits(7, 0), 1, c.horizon(), c.actionDimension()));
        in.put("noise_vision", FlowNoise.normal(Rng.bits(7, 1), 1, 4, 6));
        Map<String, Tensor> want = p.model().sample(in, p.options());
        float[] flat = new float[c.horizon() * c.actionDimension()];
        for (int i = 0; i < c.horizon(); i++) System.arraycopy(chunk.actions()[i], 0, flat, i * c.actionDimension(), c.actionDimension());
        assertArrayEquals(want.get("actions").toFloatArray(), flat);
        assertEquals(4, chunk.vision().length);
    }

    /** 4 threads x 3 observations on one policy give the sequential results. */
    @Test
    void concurrentCallersGetTheSequentialResults() throws Exception {
        for (String variant : new String[] {"dust-single", "gr00t"}) {
            DustPolicy p = DustPolicy.load(Fixtures.dir(variant));
            ModelConfig c = p.model().config();
            List<float[][]> seq = new ArrayList<>();
            for (int k = 0; k < 12; k++) seq.add(p.sample(obs(c, k)).actions());
            ExecutorService ex = Executors.newFixedThreadPool(4);
            try {
                List<Future<float[][]>> fs = new ArrayList<>();
                for (int k = 0; k < 12; k++) {
                    int kk = k;
                    fs.add(ex.submit(() -> p.sample(obs(c, kk)).actions()));
                }
                for (int k = 0; k < 12; k++) {
                    float[][] got = fs.get(k).get();
                    for (int i = 0; i < got.length; i++) assertArrayEquals(seq.get(k)[i], got[i], variant + " obs " + k);
                }
            } finally {
                ex.shutdown();
            }
            if (c instanceof Gr00tConfig) assertNull(p.sample(obs(c, 1)).vision());
        }
    }

    @Test
    void badObservationsAreClearErrors() throws Exception {
        DustPolicy p = DustPolicy.load(Fixtures.dir("gr00t"));
        ModelConfig c = p.model().config();
        var e = assertThrows(IllegalArgumentException.class,
                () -> p.sample(new DustPolicy.Observation(new float[2][3], new float[1], 0, 1)));
        assertEquals("policy: vl row 0 has 3 values, the model expects " + c.vlDim(), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> p.sample(new DustPolicy.Observation(new float[2][c.vlDim()], new float[99], 0, 1)));
        assertEquals("policy: state has 99 values, the model takes at most " + c.stateDim(), e.getMessage());
    }
}
