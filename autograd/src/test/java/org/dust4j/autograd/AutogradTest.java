package org.dust4j.autograd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.ref.WeakReference;
import java.util.List;
import org.dust4j.tensor.Backends;
import org.dust4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** Tape mechanics: accumulation, grad mode, detach, graph release, errors. */
class AutogradTest {

    private static Tensor t(float... v) {
        return Tensor.of(v, v.length);
    }

    @Test
    void gradientsAccumulateAcrossBackwardCalls() {
        Var x = Var.param(t(1f, -2f, 3f));
        F.sum(F.square(x)).backward();
        assertArrayEquals(new float[] {2f, -4f, 6f}, x.grad().toFloatArray());
        F.sum(F.mul(x, 3f)).backward();
        assertArrayEquals(new float[] {5f, -1f, 9f}, x.grad().toFloatArray());
        x.zeroGrad();
        assertNull(x.grad());
        F.sum(x).backward();
        assertArrayEquals(new float[] {1f, 1f, 1f}, x.grad().toFloatArray());
    }

    @Test
    void sameVariableUsedTwiceInOneGraph() {
        Var x = Var.param(t(1.5f, -0.5f));
        // y = x*x + x  -> dy/dx = 2x + 1
        F.sum(F.add(F.mul(x, x), x)).backward();
        assertArrayEquals(new float[] {4f, 0f}, x.grad().toFloatArray());
    }

    @Test
    void leafGradIsNotAliasedWithUpstreamTensors() {
        // the gradient of add is the incoming gradient itself: the leaf must keep a private copy
        Var a = Var.param(t(1f, 2f));
        Var b = Var.param(t(3f, 4f));
        Tensor seed = t(1f, 1f);
        F.add(a, b).backward(seed);
        F.add(a, b);                                       // no backward
        F.sum(F.add(a, b)).backward();
        assertArrayEquals(new float[] {2f, 2f}, a.grad().toFloatArray());
        assertArrayEquals(new float[] {2f, 2f}, b.grad().toFloatArray());
        assertArrayEquals(new float[] {1f, 1f}, seed.toFloatArray());
    }

    @Test
    void explicitSeed() {
        Var x = Var.param(t(1f, 2f, 3f));
        F.mul(x, 2f).backward(t(1f, 10f, 100f));
        assertArrayEquals(new float[] {2f, 20f, 200f}, x.grad().toFloatArray());
    }

    @Test
    void noGradRecordsNothing() {
        Var x = Var.param(t(1f, 2f));
        assertTrue(GradMode.isEnabled());
        Var y;
        try (var s = GradMode.noGrad()) {
            assertFalse(GradMode.isEnabled());
            y = F.exp(F.mul(x, x));
            try (var s2 = GradMode.enable()) {
                assertTrue(GradMode.isEnabled());
                assertTrue(F.exp(x).requiresGrad());
            }
            assertFalse(GradMode.isEnabled());
        }
        assertTrue(GradMode.isEnabled());
        assertFalse(y.requiresGrad());
        assertTrue(y.isLeaf());
        assertThrows(IllegalStateException.class, () -> F.sum(y).backward());
        assertNull(x.grad());
    }

    @Test
    void constantsDoNotRequireGrad() {
        Var c = Var.constant(t(1f, 2f));
        Var y = F.add(F.exp(c), c);
        assertFalse(y.requiresGrad());
        Var p = Var.param(t(1f, 1f));
        Var z = F.mul(y, p);
        assertTrue(z.requiresGrad());
        F.sum(z).backward();
        assertNull(c.grad());
        TestUtil.close("d/dp", y.value(), p.grad(), 0, 0);
    }

    @Test
    void gradModeIsThreadLocal() throws Exception {
        try (var s = GradMode.noGrad()) {
            boolean[] other = new boolean[1];
            Thread th = new Thread(() -> other[0] = GradMode.isEnabled());
            th.start();
            th.join();
            assertTrue(other[0]);
        }
    }

    @Test
    void detachCutsTheGraph() {
        Var x = Var.param(t(2f, 3f));
        Var d = F.mul(x, x).detach();
        assertFalse(d.requiresGrad());
        // y = x * detach(x*x): dy/dx = x*x only
        F.sum(F.mul(x, d)).backward();
        assertArrayEquals(new float[] {4f, 9f}, x.grad().toFloatArray());
        assertSame(x.value(), x.detach().value());
    }

    @Test
    void setValueChecksShape() {
        Var x = Var.param(t(1f, 2f));
        x.setValue(t(5f, 6f));
        assertArrayEquals(new float[] {5f, 6f}, x.value().toFloatArray());
        var e = assertThrows(IllegalArgumentException.class, () -> x.setValue(t(1f, 2f, 3f)));
        assertTrue(e.getMessage().contains("[3]") && e.getMessage().contains("[2]"), e.getMessage());
    }

    @Test
    void graphIsReleasedAfterBackward() {
        Var x = Var.param(t(0.5f, 1f, 1.5f));
        WeakReference<Tensor> intermediate;
        Var loss;
        {
            Var h = F.exp(x);                        // its value is captured by the closures of mul
            intermediate = new WeakReference<>(h.value());
            loss = F.sum(F.mul(h, h));
        }
        loss.backward();
        for (int i = 0; i < 100 && intermediate.get() != null; i++) {
            System.gc();
            Thread.onSpinWait();
        }
        assertNull(intermediate.get(), "intermediate tensor still reachable from the output after backward");
        // a second backward through the released graph is an error, as in torch
        var e = assertThrows(IllegalStateException.class, loss::backward);
        assertTrue(e.getMessage().contains("released"), e.getMessage());
        // the leaf keeps its gradient: d/dx sum(exp(x)^2) = 2 exp(2x)
        float[] g = x.grad().toFloatArray();
        for (int i = 0; i < 3; i++) assertEquals(2 * Math.exp(2 * (0.5 + 0.5 * i)), g[i], 1e-5 * g[i]);
    }

    @Test
    void intermediateKeptByUnreleasedGraphStaysAlive() {
        // sanity check of the test above: without backward the intermediate is reachable from the output
        Var x = Var.param(t(0.5f, 1f));
        WeakReference<Tensor> intermediate;
        Var loss;
        {
            Var h = F.exp(x);
            intermediate = new WeakReference<>(h.value());
            loss = F.sum(F.mul(h, h));
        }
        for (int i = 0; i < 5; i++) System.gc();
        assertTrue(intermediate.get() != null);
        assertTrue(loss.requiresGrad());
    }

    @Test
    void backwardNeedsScalarOrSeed() {
        Var x = Var.param(t(1f, 2f));
        Var y = F.mul(x, 2f);
        var e = assertThrows(IllegalArgumentException.class, y::backward);
        assertTrue(e.getMessage().contains("[2]"), e.getMessage());
        var e2 = assertThrows(IllegalArgumentException.class, () -> y.backward(t(1f, 2f, 3f)));
        assertTrue(e2.getMessage().contains("[3]") && e2.getMessage().contains("[2]"), e2.getMessage());
    }

    @Test
    void maxSplitsGradientAmongTies() {
        // as torch.amax: the gradient is shared evenly by the positions equal to the maximum
        Var x = Var.param(Tensor.of(new float[] {1f, 3f, 3f, 2f, 5f, 5f, 5f, 0f}, 2, 4));
        F.max(x, 1, false).backward(Tensor.of(new float[] {1f, 6f}, 2));
        assertArrayEquals(new float[] {0f, 0.5f, 0.5f, 0f, 2f, 2f, 2f, 0f}, x.grad().toFloatArray());
        Var y = Var.param(Tensor.of(new float[] {4f, 4f}, 2));
        F.max(y, 0, true).backward();
        assertArrayEquals(new float[] {0.5f, 0.5f}, y.grad().toFloatArray());
    }

    @Test
    void dropoutMaskFollowsRng() {
        Tensor x = Tensor.full(2f, 1000);
        float p = 0.25f;
        long seed = 77;
        float[] out = F.dropout(Var.constant(x), p, seed, true).value().toFloatArray();
        int dropped = 0;
        for (int i = 0; i < out.length; i++) {
            boolean drop = org.dust4j.tensor.Rng.uniform(seed, i) < p;
            assertEquals(drop ? 0f : 2f * (1f / (1f - p)), out[i], 0f, "element " + i);
            if (drop) dropped++;
        }
        assertTrue(dropped > 200 && dropped < 300, "dropped " + dropped + " of 1000 at p=0.25");
        Var v = Var.param(x);
        assertSame(v, F.dropout(v, p, seed, false), "eval dropout is the identity");
        assertSame(v, F.dropout(v, 0f, seed, true));
        assertArrayEquals(new float[3], F.dropout(Var.constant(Tensor.full(1f, 3)), 1f, seed, true).value().toFloatArray());
        assertThrows(IllegalArgumentException.class, () -> F.dropout(v, 1.5f, seed, true));
    }

    @Test
    void viewsShareStorageAndNarrowGradientIsZeroElsewhere() {
        Var x = Var.param(Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3));
        Var n = F.narrow(x, 1, 1, 2);
        assertSame(x.value().storage(), n.value().storage());
        F.sum(n).backward();
        assertArrayEquals(new float[] {0, 1, 1, 0, 1, 1}, x.grad().toFloatArray());
    }

    @Test
    void defaultBackendAgreesWithReference() {
        // the same block on the default (CPU) backend and on the reference: gradients agree to float accumulation error
        Tensor x = GradCheck.qrandn(1, 1f, 2, 5, 8), w1 = GradCheck.qrandn(2, 0.3f, 16, 8), w2 = GradCheck.qrandn(3, 0.3f, 8, 16);
        Tensor[] cpu = blockGrads(x, w1, w2), ref;
        try (var s = F.withBackend(Backends.reference())) {
            ref = blockGrads(x, w1, w2);
        }
        // float32 accumulation over <= 16-term dot products and a 80-row reduction: 1e-5 relative per term is generous
        for (int i = 0; i < ref.length; i++) TestUtil.close("grad " + i, ref[i], cpu[i], 1e-5, 1e-4);
    }

    private static Tensor[] blockGrads(Tensor x, Tensor w1, Tensor w2) {
        Var xv = Var.param(x), a = Var.param(w1), b = Var.param(w2);
        Var q = F.permute(F.reshape(xv, 2, 5, 2, 4), 0, 2, 1, 3);
        Var att = F.reshape(F.permute(F.attention(q, q, q, 0.5f), 0, 2, 1, 3), 2, 5, 8);
        Var h = F.linear(F.silu(F.linear(F.layerNorm(att, null, null, 1e-5f), a, null)), b, null);
        F.mean(F.square(F.softmax(h))).backward();
        return new Tensor[] {xv.grad(), a.grad(), b.grad()};
    }

    @Test
    void linearWithZeroRows() {
        Var w = Var.param(Tensor.full(1f, 3, 2));
        Var y = F.linear(Var.constant(Tensor.zeros(0, 2)), w, null);
        assertArrayEquals(new int[] {0, 3}, y.shape());
        y.backward(Tensor.zeros(0, 3));
        assertArrayEquals(new float[6], w.grad().toFloatArray());
    }

    // ------------------------------------------------------------ bad inputs

    private static void assertMessage(Class<? extends Throwable> type, Runnable r, String... parts) {
        Throwable e = assertThrows(type, r::run);
        for (String p : parts) assertTrue(e.getMessage().contains(p), "message '" + e.getMessage() + "' lacks '" + p + "'");
    }

    @Test
    void badInputsNameOpAndShapes() {
        Var a = Var.param(Tensor.zeros(2, 3)), b = Var.param(Tensor.zeros(4));
        assertMessage(IllegalArgumentException.class, () -> F.add(a, b), "add", "[2, 3]", "[4]");
        assertMessage(IllegalArgumentException.class, () -> F.sub(a, b), "sub", "[2, 3]", "[4]");
        assertMessage(IllegalArgumentException.class, () -> F.mul(a, b), "mul", "[2, 3]", "[4]");
        assertMessage(IllegalArgumentException.class, () -> F.div(a, b), "div", "[2, 3]", "[4]");
        assertMessage(IllegalArgumentException.class, () -> F.matmul(a, Var.param(Tensor.zeros(4, 5))), "matmul", "[2, 3]", "[4, 5]");
        assertMessage(IllegalArgumentException.class, () -> F.matmul(Var.param(Tensor.zeros(2, 2, 3)), Var.param(Tensor.zeros(3, 3, 1))),
                "matmul", "[2, 2, 3]", "[3, 3, 1]");
        assertMessage(IllegalArgumentException.class, () -> F.matmul(b, b), "matmul", "[4]");
        assertMessage(IllegalArgumentException.class, () -> F.linear(a, Var.param(Tensor.zeros(5, 4)), null), "linear", "[2, 3]", "[5, 4]");
        assertMessage(IllegalArgumentException.class, () -> F.linear(a, Var.param(Tensor.zeros(5, 3)), b), "linear", "[4]", "[5, 3]");
        assertMessage(IllegalArgumentException.class, () -> F.concat(List.of(a, Var.param(Tensor.zeros(3, 3))), 1), "concat", "[2, 3]", "[3, 3]");
        assertMessage(IllegalArgumentException.class, () -> F.mseLoss(a, Var.constant(Tensor.zeros(3, 2))), "mseLoss", "[2, 3]", "[3, 2]");
        assertMessage(IllegalArgumentException.class, () -> F.layerNorm(a, b, null, 1e-5f), "layerNorm", "[4]", "[2, 3]");
        assertMessage(IllegalArgumentException.class, () -> F.rmsNorm(a, b, 1e-5f), "rmsNorm", "[4]", "[2, 3]");
        Var q = Var.param(Tensor.zeros(1, 2, 3, 4));
        assertMessage(IllegalArgumentException.class, () -> F.attention(q, Var.param(Tensor.zeros(1, 2, 3, 5)), q, 1f), "attention",
                "[1, 2, 3, 4]", "[1, 2, 3, 5]");
        assertMessage(IllegalArgumentException.class, () -> F.embedding(a, Tensor.of(new float[] {0f}, 1)), "embedding", "F32");
        assertMessage(IndexOutOfBoundsException.class, () -> F.embedding(a, Tensor.ofLongs(new long[] {5}, 1)), "embedding", "5", "2");
        assertMessage(IllegalArgumentException.class, () -> F.reshape(a, 4, 2), "reshape", "[2, 3]", "[4, 2]");
        assertMessage(IndexOutOfBoundsException.class, () -> F.narrow(a, 1, 2, 2), "narrow", "[2, 3]");
        assertMessage(IllegalArgumentException.class, () -> F.squeeze(a, 0), "squeeze", "[2, 3]");
        assertMessage(IllegalArgumentException.class, () -> F.sum(a, 2, false), "sum", "axis 2");
    }
}
