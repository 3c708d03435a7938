package org.dust4j.autograd.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import org.dust4j.autograd.GradMode;
import org.dust4j.autograd.Var;
import org.dust4j.tensor.Backends;
import org.dust4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** The inference shortcuts: the cross-attention K/V cache and the placeholder (load-only) initialiser. */
class PerfPathsTest {

    private static Var randn(long seed, int... shape) {
        return Var.constant(Backends.reference().random(seed, true, shape));
    }

    private static float[] run(Attention a, Var x, Var ctx) {
        return a.forward(x, ctx).value().toFloatArray();
    }

    @Test
    void contextCacheReusesKeysAndValuesOnlyInsideAScopeWithoutGrad() {
        Attention a = new Attention(8, 6, 2, 4, true, true, 0f, new ParamInit(3));
        Var x = randn(1, 2, 5, 8), ctx = randn(2, 2, 7, 6), x2 = randn(4, 2, 5, 8);
        float[] plain, plain2;
        try (var g = GradMode.noGrad()) {
            plain = run(a, x, ctx);
            plain2 = run(a, x2, ctx);
        }
        float[] cached, cached2, afterChange, otherCtx;
        Tensor oldK = a.toK.weight.value();
        try (var g = GradMode.noGrad(); var c = ContextCache.open()) {
            cached = run(a, x, ctx);
            cached2 = run(a, x2, ctx);            // a new query against the cached keys/values
            // proof that K/V come from the cache: a changed to_k weight is not seen for the same context ...
            a.toK.weight.setValue(Tensor.zeros(oldK.shape()));
            afterChange = run(a, x, ctx);
            // ... but is for another context Var (even with equal values): the key is the Var's identity
            otherCtx = run(a, x, Var.constant(ctx.value()));
        }
        assertArrayEquals(plain, cached, 0f);
        assertArrayEquals(plain2, cached2, 0f);
        assertArrayEquals(plain, afterChange, 0f);
        assertFalse(Arrays.equals(plain, otherCtx));
        // outside the scope nothing is cached: the zeroed to_k changes the output
        try (var g = GradMode.noGrad()) {
            assertFalse(Arrays.equals(plain, run(a, x, ctx)));
        }
        a.toK.weight.setValue(oldK);
        // with grad mode on the cache is bypassed (a tape must see the projections)
        try (var c = ContextCache.open()) {
            Var y1 = a.forward(x, ctx);
            a.toK.weight.setValue(Tensor.zeros(oldK.shape()));
            assertFalse(Arrays.equals(y1.value().toFloatArray(), a.forward(x, ctx).value().toFloatArray()));
        }
        a.toK.weight.setValue(oldK);
    }

    @Test
    void placeholderInitHasShapesAndSeedsButNoValues() {
        ParamInit real = new ParamInit(9), ph = ParamInit.placeholders(9);
        Linear lr = new Linear(300, 200, true, real), lp = new Linear(300, 200, true, ph);
        assertArrayEquals(lr.weight.shape(), lp.weight.shape());
        assertArrayEquals(lr.bias.shape(), lp.bias.shape());
        assertEquals(1, lp.weight.value().floatData().length);     // one shared zero, not 60000 floats
        assertEquals(real.nextSeed(), ph.nextSeed());               // dropout seeds stay those of the real init
        assertThrows(IllegalArgumentException.class, () -> lp.weight.setValue(Tensor.zeros(3, 3)));
    }
}
