package org.dust4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import org.dust4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * Forward with a NaN in sample 0's state against PyTorch (forward_nonfinite_*.safetensors, written by
 * tools/reference/make_nonfinite_model_fixtures.py): by default the input is refused naming the tensor; with
 * non-finite inputs allowed, exactly the outputs PyTorch makes NaN are NaN (sample 0: the state token reaches every
 * output through attention) and the others match as in {@link ParityTest} (rtol 1e-5, atol twice the fixture's own
 * float32 error). Bug 3 of issue 13: before the ReLU fix the state encoder turned the NaN into 0 and every output
 * was finite.
 */
class NonFiniteModelParityTest {
    @Test
    void dustDual() throws Exception { check("dust-dual"); }

    @Test
    void gr00t() throws Exception { check("gr00t"); }

    void check(String variant) throws Exception {
        Path d = Fixtures.dir(variant);
        Map<String, Tensor> in = Fixtures.read(d.resolve("forward_nonfinite_in.safetensors"));
        PolicyModel m = PolicyModel.load(d);
        var e = assertThrows(InputSpec.InputException.class, () -> m.forward(in));
        assertTrue(e.getMessage().contains("'state'") && e.getMessage().contains("NaN at [0, 0, 1]"), e.getMessage());
        Map<String, Tensor> out = m.allowNonFinite(true).forward(in);
        Map<String, Tensor> want = Fixtures.read(d.resolve("forward_nonfinite_out.safetensors"));
        assertEquals(want.keySet(), out.keySet());
        for (String k : want.keySet()) {
            double atol = 2 * Fixtures.f64devAbs(d.resolve("forward_out.safetensors"), k);
            float[] w = want.get(k).toFloatArray(), g = out.get(k).toFloatArray();
            assertEquals(w.length, g.length);
            int nan = 0;
            for (int i = 0; i < w.length; i++) {
                String at = variant + " " + k + "[" + i + "]: torch " + w[i] + ", dust4j " + g[i];
                if (Float.isNaN(w[i])) {
                    assertTrue(Float.isNaN(g[i]), at);
                    nan++;
                } else {
                    assertTrue(Math.abs(g[i] - w[i]) <= atol + ParityTest.RTOL_FWD * Math.abs(w[i]), at);
                }
            }
            assertTrue(nan > 0 && nan < w.length, "the fixture has both NaN and finite outputs");
        }
    }
}
